//! The built binary driven in tmux on a private socket: the screen a person
//! sees, the keys they press, and the terminal they get back.

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/tmux.rs"]
mod tmux;

use tmux::Tmux;

fn all_panes_shown(s: &str) -> bool {
    ["Queue", "Failures", "Senders", "Deploy", "Probe"]
        .iter()
        .all(|t| s.contains(&format!("┌ {t} ")))
}

fn walk_through(name: &str, w: u16, h: u16) {
    let t = Tmux::opsdeck(name, w, h, "demo", &[]);
    let s = t.wait_for("the five panes", all_panes_shown);
    assert!(s.contains("DEMO"), "the banner says DEMO:\n{s}");
    assert!(s.lines().any(|l| l.starts_with(" RW ")), "mode badge:\n{s}");
    assert!(
        t.alternate_on(),
        "the dashboard runs on the alternate screen"
    );

    t.keys(&["?"]);
    // the focused pane's keys first, then those of every pane
    t.wait_for("the help overlay", |s| {
        s.contains("Keys") && s.contains("Queue pane") && s.contains("release from hold")
    });
    t.keys(&["Escape"]);
    t.wait_for("help to close", |s| !s.contains("release from hold"));

    t.keys(&["2"]);
    let s = t.wait_for("Failures focused", |s| {
        s.contains("┌ Failures") && !s.contains("┌ Queue")
    });
    assert!(
        s.contains("Esc overview") || w < 100,
        "zoomed hint on a wide screen:\n{s}"
    );

    t.keys(&["q"]);
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "clean exit:\n{s}");
    assert!(!t.alternate_on(), "alternate screen left on exit");
}

#[test]
fn walk_through_80x24() {
    walk_through("small", 80, 24);
}

#[test]
fn walk_through_200x50() {
    walk_through("wide", 200, 50);
}

#[test]
fn sigterm_restores_the_terminal() {
    let t = Tmux::opsdeck("term", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    nix_kill(t.pid(), "TERM");
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(!t.alternate_on());
}

#[test]
fn sighup_restores_the_terminal() {
    let t = Tmux::opsdeck("hup", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    nix_kill(t.pid(), "HUP");
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(!t.alternate_on());
}

/// SIGINT from outside (`kill -INT`, `timeout -s INT`, a supervisor): in raw mode Ctrl-C is a
/// key, but the signal itself must give the terminal back as SIGTERM does.
#[test]
fn sigint_restores_the_terminal() {
    let t = Tmux::opsdeck("int", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    nix_kill(t.pid(), "INT");
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
    assert!(
        !t.alternate_on(),
        "alternate screen left after SIGINT:\n{s}"
    );
}

#[test]
fn panic_restores_the_terminal_first() {
    let t = Tmux::opsdeck("panic", 100, 30, "demo", &[("OPSDECK_DEBUG_PANIC", "1")]);
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=101"), "a panic exits 101:\n{s}");
    assert!(
        s.contains("OPSDECK_DEBUG_PANIC is set"),
        "the panic message is readable:\n{s}"
    );
    assert!(!t.alternate_on(), "alternate screen left after panic");
    let log = std::fs::read_to_string(t.home().join(".state/opsdeck/opsdeck.log")).unwrap();
    assert!(
        log.contains("ERROR opsdeck: thread 'main' panicked at")
            && log.contains("OPSDECK_DEBUG_PANIC is set"),
        "the panic is in the log:\n{log}"
    );
}

/// A panic message can quote outside text: it reaches the terminal and the log escaped.
#[test]
fn a_panic_message_reaches_the_terminal_escaped() {
    let t = Tmux::opsdeck(
        "panic-escape",
        100,
        30,
        "demo",
        &[(
            "OPSDECK_DEBUG_PANIC",
            "\u{1b}[2J\u{1b}]2;owned\u{7}\u{9b}31m",
        )],
    );
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=101"), "a panic exits 101:\n{s}");
    assert!(
        s.contains("panicking after the first frame (\\e[2J\\e]2;owned\\x07\\u{9b}31m)"),
        "the message is shown escaped:\n{s}"
    );
    let log = std::fs::read_to_string(t.home().join(".state/opsdeck/opsdeck.log")).unwrap();
    assert!(
        log.contains("(\\e[2J\\e]2;owned\\x07\\u{9b}31m)")
            && !log.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "the log holds it escaped:\n{log:?}"
    );
}

/// A panic off the loop's thread (a follower, a blocking task) cannot unwind the loop: the
/// dashboard must still give the terminal back and end, not carry on drawing into a screen in
/// cooked mode that echoes every key.
#[test]
fn panic_in_a_background_thread_ends_the_dashboard() {
    let t = Tmux::opsdeck(
        "panic-thread",
        100,
        30,
        "demo",
        &[("OPSDECK_DEBUG_PANIC", "thread")],
    );
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=101"), "a panic exits 101:\n{s}");
    assert!(
        s.contains("a background thread panics"),
        "the panic message is readable:\n{s}"
    );
    assert!(
        !s.contains("┌ Queue"),
        "a frame was drawn over the message:\n{s}"
    );
    assert!(!t.alternate_on(), "alternate screen left after panic");
    let log = std::fs::read_to_string(t.home().join(".state/opsdeck/opsdeck.log")).unwrap();
    assert!(
        log.contains("a background thread panics"),
        "the panic is in the log:\n{log}"
    );
}

#[test]
fn resize_redraws_at_the_new_size() {
    let t = Tmux::opsdeck("resize", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    t.tmux(&["resize-window", "-x", "130", "-y", "42"]);
    // The whole screen is redrawn: the tab bar spans the new width and the
    // status bar sits on the new last row (row 42, not row 24).
    let s = t.wait_for("a redraw at 130x42", |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines
            .first()
            .is_some_and(|l| l.trim_end().chars().count() > 100)
            && lines.get(41).is_some_and(|l| l.starts_with(" RW "))
    });
    assert!(
        !s.lines().nth(23).unwrap_or("").starts_with(" RW "),
        "a stale status bar is left at the old bottom row:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

/// A text pasted into the wrong window (tmux's bracketed paste, as a terminal sends it) is not
/// read as keys: its D does not open the delete dialog and its y does not confirm it; pasted
/// into the filter, it filters.
#[test]
fn a_paste_is_not_read_as_keys() {
    let t = Tmux::opsdeck("paste", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    t.key("1");
    t.wait_for_text("Queue ID");
    t.tmux(&["set-buffer", "Dy"]);
    t.tmux(&["paste-buffer", "-p"]);
    let s = t.wait_for_text("paste ignored: a paste is never read as keys");
    assert!(!s.contains("Delete 1 message"), "{s}");
    // nothing deleted from the demo's queue either
    assert!(!s.contains("is deleted"), "{s}");
    t.key("/");
    t.tmux(&["set-buffer", "gmail"]);
    t.tmux(&["paste-buffer", "-p"]);
    t.wait_for_text("/gmail█");
    t.keys(&["Escape", "q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

/// On a host without /var/log/mail.log the dashboard asks postconf where Postfix logs before
/// it draws; a postconf that never answers (its command_prefix an ssh to a host that is down)
/// is given up on at `[check] deadline_secs`, and the screen comes, naming the log it lacks.
#[test]
fn a_postconf_that_never_answers_does_not_keep_the_screen_away() {
    if std::path::Path::new("/var/log/mail.log").exists() {
        eprintln!("skipped: this host has /var/log/mail.log, so postconf is not asked");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hang = dir.path().join("hang");
    std::fs::write(&hang, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\ncommand_prefix = [\"{}\"]\n[check]\ndeadline_secs = 2\n",
            hang.display()
        ),
    )
    .unwrap();
    let t = Tmux::opsdeck(
        "hungpostconf",
        80,
        24,
        &format!("--read-only --config {}", config.display()),
        &[],
    );
    t.wait_for("the screen", |s| {
        s.contains("1 Queue") && s.contains(" RO ")
    });
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

/// `command_prefix = ["sudo"]` where sudoers asks for a password: sudo would prompt on the
/// terminal the dashboard draws on and wait there for ever (a command in a process group of
/// its own that reads the terminal is stopped), the queue tile saying nothing for two minutes.
/// The Postfix commands run without a terminal, so sudo says at once that it needs one, and
/// the pane says to allow it NOPASSWD.
#[test]
fn a_sudo_that_wants_a_password_is_said_not_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    // what sudo does for a rule without NOPASSWD: ask on the terminal, or fail without one
    let sudo = dir.path().join("sudo");
    std::fs::write(
        &sudo,
        r#"#!/bin/sh
if ! (: <>/dev/tty) 2>/dev/null; then
    echo 'sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper' >&2
    exit 1
fi
printf '[sudo] password for ops: ' >/dev/tty
read pw </dev/tty
exec "$@"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&sudo, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[postfix]]\ncommand_prefix = [\"{}\"]\n[check]\ndeadline_secs = 2\n",
            sudo.display()
        ),
    )
    .unwrap();
    let t = Tmux::opsdeck(
        "sudopassword",
        80,
        24,
        &format!("--read-only --config {}", config.display()),
        &[],
    );
    t.wait_for("the screen", |s| s.contains("1 Queue"));
    t.keys(&["1"]);
    let s = t.wait_for("the queue pane to say what sudo wants", |s| {
        s.lines()
            .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
            .collect::<Vec<_>>()
            .join(" ")
            .contains("sudo wants a password - allow it NOPASSWD in sudoers")
    });
    assert!(
        !s.contains("[sudo] password"),
        "prompted on the screen:\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

#[test]
fn no_color_keeps_selection_visible() {
    let t = Tmux::opsdeck("nocolor", 80, 24, "demo", &[("NO_COLOR", "1")]);
    t.wait_for("the five panes", all_panes_shown);
    let e = t.capture_escapes();
    // The focused tab is reverse video; no colour is set.
    assert!(
        e.contains("\u{1b}[7m") || e.contains(";7m") || e.contains("[1;7m"),
        "reverse video missing:\n{e:?}"
    );
    // Only resets (39/49) may appear; no colour of any kind.
    let coloured =
        regex::Regex::new(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|4[0-7]|9[0-7]|10[0-7]|38;|48;)").unwrap();
    assert!(
        !coloured.is_match(&e),
        "a colour was written under NO_COLOR:\n{e:?}"
    );
    t.keys(&["q"]);
    t.wait_for("exit", |s| s.contains("EXIT=0"));
}

#[test]
fn broken_config_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "read_only = true\nthem = \"light\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:2:1:", cfg.display())), "{err}");
    assert!(err.contains("them"), "{err}");
}

/// A host where nothing opsdeck reads is there: no Postfix on PATH, no mail log, no checkout, a
/// probe target that does not resolve. At 80x24 each tile says what is missing and what to do,
/// within the lines it shows.
#[test]
fn a_bare_host_is_explained_pane_by_pane_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[[postfix]]\nconfig_dir = \"/nonexistent/postfix\"\n\
         [mail_log]\nfiles = [\"/nonexistent/mail.log\"]\n\
         [senders]\nses = false\n\
         [[deploy]]\nname = \"www\"\npath = \"/nonexistent/www\"\n",
    )
    .unwrap();
    let t = Tmux::opsdeck(
        "bare",
        80,
        24,
        &format!("--config {}", cfg.display()),
        // no /usr/sbin: no Postfix tools
        &[("PATH", "/usr/bin:/bin")],
    );
    let s = t.wait_for("every pane to have read its source", |s| {
        s.contains("postqueue -c /nonexistent/postfix -j: not found")
            && s.contains("/nonexistent/mail.log: not found")
            && s.contains("postconf: not found")
            && s.contains("/nonexistent/www: not a git work tree")
    });
    let flat = s
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "not found - install Postfix, or fix PATH / command_prefix in [[postfix]]",
        "cannot read the relay setup: postconf: not found - install Postfix, or fix",
        "it does not exist: set path in [[deploy]] to the site's checkout",
        "No probe target: add a [[probe.targets]] table",
    ] {
        assert!(flat.contains(want), "{want:?} not on the screen:\n{s}");
    }
    // zoomed, the mail log's advice is whole
    t.keys(&["2"]);
    let s = t.wait_for("Failures zoomed", |s| !s.contains("┌ Queue"));
    let flat = s
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("or source = \"journal\" in [mail_log])"),
        "the advice is cut:\n{s}"
    );
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--config", "/nonexistent/opsdeck.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/opsdeck.toml: cannot read the configuration: no such file"),
        "{err}"
    );
    assert_eq!(
        err.to_lowercase().matches("no such file").count(),
        1,
        "said once: {err}"
    );
}

#[test]
fn a_path_in_an_error_reaches_the_terminal_escaped() {
    // The path named with --config is quoted in the error: an escape sequence in it (a title
    // change, a clear screen) is shown, not obeyed.
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["--config", "/nonexistent/\u{1b}]0;owned\u{7}\u{9b}2J.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "raw control characters on stderr: {err:?}"
    );
    assert!(
        err.contains(
            "/nonexistent/\\e]0;owned\\x07\\u{9b}2J.toml: cannot read the configuration: no such file"
        ),
        "{err}"
    );
}

#[test]
fn a_config_named_by_the_environment_says_so_when_it_cannot_be_read() {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .env("OPSDECK_CONFIG", "/nonexistent/opsdeck.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "opsdeck: /nonexistent/opsdeck.toml: cannot read the configuration: no such file \
         (named by $OPSDECK_CONFIG)\n"
    );
}

#[test]
fn help_and_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--help")
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for word in [
        "demo",
        "summary",
        "--read-only",
        "--config",
        "--theme",
        "--color",
    ] {
        assert!(s.contains(word), "--help lacks {word}:\n{s}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["help", "demo"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("sandbox"));
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("opsdeck {}", env!("CARGO_PKG_VERSION"))
    );
}

fn nix_kill(pid: i32, sig: &str) {
    let st = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(st.success());
}

/// opsdeck's demo started from an interactive shell (job control, as a person would have),
/// stopped by `stop`: the terminal is given back while it is stopped, `fg` takes it again, and
/// it answers keys after (`q` quits, exit status 0).
fn stopped_and_continued_in_a_shell(name: &str, stop: impl Fn(&Tmux)) {
    let t = Tmux::shell(name, 80, 24);
    // `exec` keeps the pid written, and the job's process group
    let cmd = format!(
        "HOME={h} XDG_STATE_HOME={h} sh -c 'echo $$ > {h}/pid; exec {bin} demo'",
        h = t.home().display(),
        bin = env!("CARGO_BIN_EXE_opsdeck")
    );
    t.keys(&[&cmd, "Enter"]);
    t.wait_for("the five panes", all_panes_shown);
    stop(&t);
    let s = t.wait_for("the shell's job notice", |s| s.contains("Stopped"));
    assert!(!t.alternate_on(), "terminal given back while stopped:\n{s}");
    t.keys(&["fg", "Enter"]);
    let s = t.wait_for("the panes again", all_panes_shown);
    assert!(t.alternate_on());
    // stopped and continued: not taken for a stop that was dropped
    assert!(!s.contains("no shell to go back to"), "{s}");
    // keys typed before opsdeck gives the terminal back are opsdeck's
    t.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.alternate_on() {
        assert!(
            Instant::now() < deadline,
            "still on the alternate screen after q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    t.keys(&["echo EXIT=$?", "Enter"]);
    t.wait_for("exit status", |s| s.contains("EXIT=0"));
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_fg_takes_it_again() {
    stopped_and_continued_in_a_shell("suspend", |t| t.keys(&["C-z"]));
}

/// `kill -TSTP` from outside (a job-control script, `kill %1` of a shell's job): in raw mode
/// Ctrl-Z is a key, and the signal's default stop would leave the terminal raw and on the
/// alternate screen. It suspends as Ctrl-Z does.
#[test]
fn a_stop_from_outside_gives_the_terminal_back_and_fg_takes_it_again() {
    stopped_and_continued_in_a_shell("outside-stop", |t| nix_kill(t.pid(), "TSTP"));
}

/// `ssh -t host opsdeck`, `exec opsdeck`, a tmux window running it: no shell with job control
/// to go back to, and the kernel drops the stop. Ctrl-Z then says so rather than only blinking.
#[test]
fn ctrl_z_without_job_control_says_so() {
    // a non-interactive `sh -c`, as ssh runs a remote command: no job control
    let t = Tmux::opsdeck("nojobs", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    t.keys(&["C-z"]);
    let s = t.wait_for("a notice", |s| s.contains("Ctrl-Z:"));
    assert!(
        s.contains("no shell to go back to"),
        "the notice says why nothing happened:\n{s}"
    );
    assert!(t.alternate_on());
    assert!(all_panes_shown(&s), "{s}");
    t.keys(&["q"]);
    let s = t.wait_for("exit status", |s| s.contains("EXIT="));
    assert!(s.contains("EXIT=0"), "{s}");
}

#[test]
fn a_dropped_link_ends_the_process() {
    // tmux kill-server closes the pty like a dropped ssh link. Under a
    // non-interactive shell no SIGHUP may reach the program; it must notice
    // the hang-up by itself and exit rather than spin on a dead terminal.
    let t = Tmux::opsdeck("drop", 80, 24, "demo", &[]);
    t.wait_for("the five panes", all_panes_shown);
    let pid = t.pid();
    let _ = Command::new("tmux")
        .args(["-S", &t.socket, "kill-server"])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
        {
            break; // exited, not yet reaped
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("opsdeck {pid} still running 20 s after its terminal went away");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn detach_and_reattach_from_a_smaller_terminal() {
    // opsdeck runs in a tmux session created at 120x40; a second tmux (the
    // "ssh terminal", 80x24) attaches to it, detaches (the link drops) and
    // attaches again. opsdeck keeps running while nobody watches, follows
    // the new size, and the outer terminal gets its screen back on detach.
    let inner = Tmux::opsdeck("inner", 120, 40, "demo", &[]);
    inner.wait_for("the five panes", all_panes_shown);
    let pid = inner.pid();
    let attach = format!("tmux -S {} attach", inner.socket);
    let outer = Tmux::shell("outer", 80, 24);
    outer.keys(&[&attach, "Enter"]);
    let s = outer.wait_for("opsdeck redrawn at 80x24", |s| {
        all_panes_shown(s) && s.lines().nth(22).is_some_and(|l| l.starts_with(" RW "))
    });
    assert!(s.contains("DEMO"), "{s}");

    inner.tmux(&["detach-client"]);
    let s = outer.wait_for("the shell back after detach", |s| s.contains("[detached"));
    assert!(
        !all_panes_shown(&s),
        "opsdeck left on the outer screen:\n{s}"
    );
    assert!(
        std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "opsdeck keeps running while detached"
    );

    outer.keys(&[&attach, "Enter"]);
    outer.wait_for("opsdeck again after reattach", all_panes_shown);
    outer.keys(&["q"]);
    inner.wait_for("exit", |s| s.contains("EXIT=0"));
}

#[test]
fn the_dashboard_without_a_terminal_says_what_to_use() {
    // stdout to a pipe (a cron job, `opsdeck | less`): no escape sequences, a sentence instead
    // (with a HOME of its own: the user's configuration is not this test's)
    let home = tempfile::tempdir().unwrap();
    for args in [&["demo"][..], &["--read-only"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
            .args(args)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env_remove("OPSDECK_CONFIG")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: wrote to the pipe");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("standard output is not one")
                && err.contains("use `opsdeck check` or `opsdeck summary`"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn the_demo_says_it_does_not_read_a_configuration() {
    let out = Command::new(env!("CARGO_BIN_EXE_opsdeck"))
        .args(["demo", "--config", "/etc/opsdeck/config.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("demo: --config /etc/opsdeck/config.toml is not read: the demo runs on a sandbox of its own"),
        "{err}"
    );
}
