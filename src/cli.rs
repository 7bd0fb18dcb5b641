//! The command line: options, subcommands, mode and theme resolution.
//! Thin: every subcommand is a call into a feature.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

use crate::access::Mode;
use crate::config::{ColorMode, Config};
use crate::ui::theme::{self, ThemeSource};

/// A terminal console for small web hosts: the Postfix queue and delivery
/// failures, SES senders, git deploys and the load balancer, on one screen.
#[derive(Debug, Parser)]
#[command(
    name = "opsdeck",
    version,
    propagate_version = true,
    after_help = "In the dashboard, ? lists every key the focused pane understands, and q quits.\n\
                  Every configuration key is described in opsdeck.example.toml; a configuration \
                  that cannot be used stops with file:line:col: what is wrong (exit status 2)."
)]
pub struct Cli {
    /// Configuration file (default: $OPSDECK_CONFIG, then
    /// $XDG_CONFIG_HOME/opsdeck/config.toml, then /etc/opsdeck/config.toml, then built-in
    /// defaults for a stock Debian host).
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub screen: ScreenArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How the dashboard runs: the options of `opsdeck` and `opsdeck demo` (the reports have no
/// screen and change nothing, so they take none of these).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ScreenArgs {
    /// Read-only monitoring: no action that changes a host (queue, senders, deploy) is bound or
    /// listed, the RO badge stays on screen, and nothing turns it off while running (as
    /// read_only = true in the configuration).
    #[arg(long)]
    pub read_only: bool,
    /// Allow actions even though the configuration says read_only (only
    /// where the configuration sets allow_write_override).
    #[arg(long, conflicts_with = "read_only")]
    pub write: bool,
    /// Theme: default, light, high-contrast, mono, or a user theme name.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Colour depth.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorMode>,
}

/// The options of `opsdeck demo`: the dashboard's, but `--write`, which overrides a
/// configuration's read_only, and the demo reads none (it allows its actions unless
/// `--read-only` is given).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct DemoArgs {
    /// Read-only: no action is bound or listed, the RO badge stays on screen.
    #[arg(long)]
    pub read_only: bool,
    /// Theme: default, light, high-contrast, mono, or a user theme name.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Colour depth.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorMode>,
}

impl DemoArgs {
    /// The options given after `demo` over those given before it (`--write` is refused there,
    /// see [`refuse_misplaced`]).
    fn or(self, before: ScreenArgs) -> ScreenArgs {
        ScreenArgs {
            read_only: self.read_only || before.read_only,
            write: false,
            theme: self.theme.or(before.theme),
            color: self.color.or(before.color),
        }
    }
}

/// `opsdeck summary`'s words after its options (a macro, so that `--help` can add the JSON shape
/// to them with `concat!`).
macro_rules! summary_after_help {
    () => {
        "Exit status: 0 when every file was read, 2 when one could not be \
         (the report of the others is still printed) or the command line or \
         configuration is wrong.\n\
         \n\
         The JSON (--format json, \"version\": 1) only ever gains fields; \
         its shape is printed by --help (-h leaves it out)."
    };
}

/// `opsdeck check`'s words after its options, as [`summary_after_help`].
macro_rules! check_after_help {
    () => {
        "Exit status, as a Nagios plugin's, in every format (the worst area \
         decides; CRITICAL before UNKNOWN before WARNING):\n  \
         0  OK\n  \
         1  WARNING\n  \
         2  CRITICAL\n  \
         3  UNKNOWN: a source could not be read, or the configuration or the \
         command line is wrong\n\
         \n\
         The areas are queue, failures, senders, ses, deploy and probe; \
         their thresholds are the [check] table of the configuration. It \
         runs no action and never fetches from git, whatever read_only says \
         (it does send the probe's requests, and runs the echo listener when \
         it is enabled).\n\
         \n\
         --format json prints a stable document that only ever gains fields \
         (its shape is printed by --help; -h leaves it out); prometheus prints \
         opsdeck_* metrics for node_exporter's textfile collector."
    };
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the dashboard on a self-contained sandbox (removed on exit).
    #[command(
        after_help = "The demo reads no configuration file: --config is refused, and so is \
                      --write (there is no read_only to override; --read-only makes the demo \
                      read-only)."
    )]
    Demo(DemoArgs),
    /// Report delivery failures from whole mail log files, like pflogsumm.
    #[command(
        after_help = summary_after_help!(),
        after_long_help = concat!(
            summary_after_help!(),
            "\n\nThe JSON shape:\n\n",
            include_str!("mail/log/summary_json.txt")
        )
    )]
    Summary(crate::mail::log::summary::SummaryArgs),
    /// Read every source once and print a health report for monitoring
    /// (Nagios exit codes; text, json, nagios or prometheus). Always read-only.
    #[command(
        after_help = check_after_help!(),
        after_long_help = concat!(
            check_after_help!(),
            "\n\nThe JSON shape:\n\n",
            include_str!("check/check_json.txt")
        )
    )]
    Check(crate::check::CheckArgs),
}

/// Decide the mode from the flags and the configuration.
pub fn resolve_mode(cli_read_only: bool, cli_write: bool, config: &Config) -> anyhow::Result<Mode> {
    if cli_read_only {
        return Ok(Mode::ReadOnly);
    }
    if config.read_only {
        if cli_write {
            if config.allow_write_override {
                return Ok(Mode::Interactive);
            }
            anyhow::bail!(
                "{}: read_only = true and allow_write_override is not set: --write refused",
                config.origin
            );
        }
        return Ok(Mode::ReadOnly);
    }
    Ok(Mode::Interactive)
}

/// The subcommand named on a command line, found without parsing it whole (for when parsing
/// failed): the first word that is neither an option nor the value of a top-level option.
fn subcommand_named(args: &[std::ffi::OsString]) -> Option<String> {
    let cmd = Cli::command();
    let takes_value: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.get_action().takes_values())
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(w) = words.next() {
        if takes_value.iter().any(|t| *t == w) {
            words.next();
        } else if !w.starts_with('-') {
            return Some(w.into_owned());
        }
    }
    None
}

/// `--write` given before a command it does not apply to (`opsdeck --write demo`, `opsdeck
/// --write check`): clap takes it, as it is the dashboard's, and the command would go on
/// without it, as if it had been heard. A usage error instead. `--read-only` before a report
/// is taken: a report changes nothing, so what it asks for holds (a wrapper or a sudo rule
/// that always adds it keeps working).
fn refuse_misplaced(cli: Cli) -> Result<Cli, clap::Error> {
    let refused = match &cli.command {
        Some(Command::Demo(_)) if cli.screen.write => Some(
            "--write does not apply to `opsdeck demo`: it reads no configuration, so there is \
             no read_only to override (--read-only makes the demo read-only)"
                .to_string(),
        ),
        Some(c @ (Command::Check(_) | Command::Summary(_))) if cli.screen.write => {
            let name = match c {
                Command::Check(_) => "check",
                _ => "summary",
            };
            Some(format!(
                "--write does not apply to `opsdeck {name}`: it is a report, and changes nothing \
                 (--write is the dashboard's)"
            ))
        }
        _ => None,
    };
    match refused {
        Some(text) => Err(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, text)),
        None => Ok(cli),
    }
}

/// The command line parsed, with [`refuse_misplaced`]'s usage errors.
fn parse_line<I: Into<std::ffi::OsString> + Clone>(args: &[I]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(args.iter().cloned()).and_then(refuse_misplaced)
}

/// Parse the command line. A usage error of `opsdeck check` exits 3 (UNKNOWN, the monitoring
/// plugin convention: clap's 2 reads as CRITICAL); the others keep clap's behaviour.
fn parse(args: Vec<std::ffi::OsString>) -> Result<Cli, u8> {
    match parse_line(&args) {
        Ok(cli) => Ok(cli),
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let code = e.exit_code().clamp(0, 255) as u8;
            let said = match safe_usage_error(&args, e) {
                Ok(e) | Err(UsageError::Clap(e)) => {
                    let _ = e.print();
                    e.render().to_string()
                }
                Err(UsageError::Plain(text)) => {
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), text.as_bytes());
                    text
                }
            };
            if subcommand_named(&args).as_deref() == Some("check") {
                // A monitoring system reads standard output: the error's first line is said
                // there too, in the format asked for (text when that is what is wrong), as an
                // UNKNOWN finding; a plugin with no output is an UNKNOWN no one can explain.
                let first = said.lines().next().unwrap_or_default();
                let first = first.strip_prefix("error: ").unwrap_or(first);
                let format = format_named(&args).unwrap_or(crate::check::Format::Text);
                let message = format!("{first} (opsdeck check --help)");
                Err(crate::check::unknown(format, "usage", &message).clamp(0, 255) as u8)
            } else {
                Err(code)
            }
        }
    }
}

/// The `--format` a command line asks for (`--format X` or `--format=X`), when it is one.
fn format_named(args: &[std::ffi::OsString]) -> Option<crate::check::Format> {
    use clap::ValueEnum;
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let value = words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix("--format=")
            .map(str::to_string)
            .or_else(|| (w == "--format").then(|| words.get(i + 1).cloned())?)
    })?;
    crate::check::Format::from_str(&value, false).ok()
}

/// A usage error made safe to write, when clap's own could not be kept.
#[derive(Debug)]
enum UsageError {
    /// The same error from the command line with every word made safe to show.
    Clap(clap::Error),
    /// The error as plain text, each line made safe.
    Plain(String),
}

/// A usage error quotes what was typed, and clap writes it as it is: on a terminal a value
/// holding an escape sequence would act on the terminal. The error is kept (`Ok`) when every
/// word is safe to show; otherwise the same command line with every word escaped gives the
/// same error with the word escaped, or, should that line not fail the same way, the error is
/// written as plain text.
fn safe_usage_error(
    args: &[std::ffi::OsString],
    e: clap::Error,
) -> Result<clap::Error, UsageError> {
    let unsafe_word = |a: &std::ffi::OsString| {
        a.to_str()
            .is_none_or(|s| s.chars().any(crate::sanitize::is_unsafe_char))
    };
    if !args.iter().any(unsafe_word) {
        return Ok(e);
    }
    let safe: Vec<String> = args
        .iter()
        .map(|a| crate::sanitize::sanitize(&a.to_string_lossy()))
        .collect();
    match parse_line(&safe) {
        Err(safe_e) if safe_e.kind() == e.kind() => Err(UsageError::Clap(safe_e)),
        _ => {
            let plain = e.render().to_string();
            let lines: Vec<String> = plain.lines().map(crate::sanitize::sanitize).collect();
            Err(UsageError::Plain(lines.join("\n") + "\n"))
        }
    }
}

/// Entry point of the binary; returns the process exit status.
pub fn main() -> anyhow::Result<u8> {
    let cli = match parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(code) => return Ok(code),
    };
    // Only the commands that read git repositories start libgit2, which loads the system's CA
    // certificates as it starts (tens of milliseconds): `summary` reads no repository.
    if !matches!(cli.command, Some(Command::Summary(_))) {
        // SAFETY: no other thread exists yet. (It fails only for a negative value.)
        let _ = unsafe {
            crate::deploy::fetch::set_network_timeouts(
                crate::deploy::fetch::CONNECT_TIMEOUT,
                crate::deploy::fetch::IO_TIMEOUT,
            )
        };
    }
    match cli.command {
        Some(Command::Summary(args)) => {
            let code = crate::mail::log::summary::run(args, cli.config.as_deref())?;
            Ok(code.clamp(0, 255) as u8)
        }
        Some(Command::Check(args)) => {
            let config = match Config::discover(cli.config.as_deref()) {
                Ok(c) => c,
                Err(e) => {
                    // Monitoring systems read stdout (in the format they asked for) and the
                    // exit code.
                    let code = crate::check::unknown(args.format, "configuration", &e.to_string());
                    return Ok(code as u8);
                }
            };
            // Postfix's own log is looked for by the check, under its deadline
            Ok(crate::check::run(args, &config) as u8)
        }
        Some(Command::Demo(after)) => {
            if let Some(c) = &cli.config {
                anyhow::bail!(
                    "demo: --config {} is not read: the demo runs on a sandbox of its own (run `opsdeck --config {0}` for the dashboard)",
                    c.display()
                );
            }
            let config = Config::default();
            dashboard(&after.or(cli.screen), config, true)
        }
        None => {
            let config = Config::discover(cli.config.as_deref())?;
            dashboard(&cli.screen, config, false)
        }
    }
}

/// The theme `--theme` or the configuration names; a theme the configuration names that cannot
/// be used is an error of that file, and says so.
fn select_theme(
    cli: &ScreenArgs,
    config: &Config,
    depth: theme::ColorDepth,
    source: &ThemeSource,
) -> anyhow::Result<theme::Theme> {
    let from_config = cli.theme.is_none() && config.theme.is_some();
    let name = cli.theme.as_deref().or(config.theme.as_deref());
    theme::select(name, depth, source).map_err(|e| match &config.origin {
        crate::config::Origin::File(path) if from_config => {
            anyhow::anyhow!("{}: theme: {e}", path.display())
        }
        _ => e.into(),
    })
}

fn dashboard(cli: &ScreenArgs, mut config: Config, demo: bool) -> anyhow::Result<u8> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard draws on a terminal, and standard output is not one (a pipe or a file): \
             run it in a terminal (ssh -t for a remote command), or use `opsdeck check` or \
             `opsdeck summary` for text"
        );
    }
    let mode = resolve_mode(cli.read_only, cli.write, &config)?;
    let color = cli.color.or(config.color).unwrap_or(ColorMode::Auto);
    let depth = theme::color_depth(color, |k| std::env::var(k).ok());
    let source = ThemeSource {
        user_dir: crate::config::user_theme_dir(),
    };
    let theme = select_theme(cli, &config, depth, &source)?;
    if depth == theme::ColorDepth::None {
        // crossterm writes an empty colour sequence under NO_COLOR that
        // cancels reverse video; the mono theme carries meaning in
        // modifiers, so let crossterm write them.
        ratatui::crossterm::style::force_color_output(true);
    }
    // a log file the configuration names and that cannot be opened is said before the screen
    // comes (it stays there after the screen goes); the default one is left unsaid
    let _log_guard = crate::logging::init(config.log_file.as_deref()).unwrap_or_else(|why| {
        if config.log_file.is_some() {
            crate::stderr_line!("opsdeck: log_file {why}: nothing is logged");
        }
        None
    });

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // On a host without /var/log/mail.log, postconf is asked for Postfix's own log file before
    // the screen is drawn. One that never answers (a command_prefix through ssh to a host that
    // is down) is stopped as `opsdeck check` stops it, rather than keeping the screen from
    // coming at all; the Failures pane then names the log it could not find.
    if !demo && let Some(cut) = rt.block_on(crate::mail::log::adopt_host_log_within(&mut config)) {
        tracing::warn!("{cut}");
    }
    // A panic in the loop must not leave the runtime waiting for a blocking
    // follower while it unwinds: catch it, shut the runtime down with a
    // deadline, then let the panic carry on (the hook has already restored
    // the terminal and printed the message).
    let exit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async move {
            let sandbox = if demo {
                let sb = crate::demo::Sandbox::create(&mut config)
                    .context("creating the demo sandbox")?;
                Some(sb)
            } else {
                None
            };
            let r = crate::app::event_loop::run(Arc::new(config), mode, theme).await;
            drop(sandbox);
            r
        })
    }));
    // A deploy, a rollback, a post-deploy command or a queue action still running is let
    // finish: a deploy cut short would leave the checkout half-written, its hook killed, no
    // journal entry and the lock behind; a postsuper, the messages chosen half-done. The
    // terminal is already given back; a second SIGINT (Ctrl-C there) or SIGTERM stops the
    // wait, and the change with it, for someone who insists.
    if exit.is_ok() && crate::app::effect::changes_running() > 0 {
        use std::io::Write as _;
        // stderr may be a terminal that hung up: nothing to say it on then, and no panic
        let _ = writeln!(
            std::io::stderr(),
            "opsdeck: waiting for the change still running (a deploy, a queue action) to \
             finish: cut short, it would be left half-done; Ctrl-C again cuts it short"
        );
        rt.block_on(async {
            use tokio::signal::unix::{SignalKind, signal};
            let mut int = signal(SignalKind::interrupt()).ok();
            let mut term = signal(SignalKind::terminate()).ok();
            while crate::app::effect::changes_running() > 0 {
                tokio::select! {
                    Some(_) = async { int.as_mut()?.recv().await } => break,
                    Some(_) = async { term.as_mut()?.recv().await } => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
                }
            }
        });
    }
    // Background tasks (followers, listeners) end with the runtime; never
    // wait for a blocking follower, even when the loop ended in an error
    // (a terminal that hung up).
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    let exit = match exit {
        Ok(exit) => exit?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    tracing::info!(?exit, "opsdeck exited");
    // As a panic on the loop's own thread would (the message is already on the screen).
    Ok(if exit == crate::app::event_loop::Exit::Panicked {
        101
    } else {
        0
    })
}

/// The top-level keys of a JSON shape as `--help` prints it (`"key":` at the first level of
/// braces, `//` comments left out), for the tests that hold the shape to what is written.
#[cfg(test)]
pub(crate) fn shape_keys(shape: &str) -> std::collections::BTreeSet<String> {
    let mut keys = std::collections::BTreeSet::new();
    let (mut depth, mut in_string, mut word) = (0, false, String::new());
    for line in shape.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if in_string => {
                    in_string = false;
                    while chars.peek() == Some(&' ') {
                        chars.next();
                    }
                    if depth == 1 && chars.peek() == Some(&':') {
                        keys.insert(word.clone());
                    }
                    word.clear();
                }
                _ if in_string => word.push(c),
                '"' => in_string = true,
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                _ => {}
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// The long options of a command as the README's usage lines write them: `opsdeck ...` in
    /// the block under "Running it", by the subcommand they start with.
    fn readme_usage() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
        let readme = include_str!("../README.md");
        let block = readme
            .split("## Running it")
            .nth(1)
            .and_then(|r| r.split("```sh\n").nth(1))
            .and_then(|r| r.split("```").next())
            .unwrap_or_else(|| panic!("README.md has no usage block under \"Running it\""));
        let mut usage = std::collections::BTreeMap::new();
        for line in block.lines().filter(|l| l.starts_with("opsdeck")) {
            let mut words = line.split_whitespace().skip(1).peekable();
            let command = match words.peek() {
                Some(w) if !w.starts_with('[') && !w.starts_with('-') => w.to_string(),
                _ => String::new(),
            };
            let flags: &mut std::collections::BTreeSet<String> = usage.entry(command).or_default();
            for w in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
                if let Some(flag) = w.strip_prefix("--") {
                    flags.insert(flag.to_string());
                }
            }
        }
        usage
    }

    #[test]
    fn the_readme_usage_names_every_option_and_only_real_ones() {
        let cmd = Cli::command();
        let long = |c: &clap::Command| -> std::collections::BTreeSet<String> {
            c.get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long())
                .filter(|l| !matches!(*l, "help" | "version"))
                .map(String::from)
                .collect()
        };
        let global: std::collections::BTreeSet<String> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .filter_map(|a| a.get_long())
            .map(String::from)
            .collect();
        let usage = readme_usage();
        let mut commands = vec![(String::new(), long(&cmd))];
        for sub in cmd.get_subcommands() {
            commands.push((sub.get_name().to_string(), long(sub)));
        }
        commands.push(("help".into(), Default::default()));
        for (name, own) in &commands {
            let shown = |n: &str| {
                if n.is_empty() {
                    "opsdeck".into()
                } else {
                    format!("opsdeck {n}")
                }
            };
            let Some(written) = usage.get(name) else {
                panic!("README.md has no usage line for `{}`", shown(name));
            };
            for flag in own {
                assert!(
                    written.contains(flag),
                    "README.md: `{}` lacks --{flag}",
                    shown(name)
                );
            }
            for flag in written {
                assert!(
                    own.contains(flag) || global.contains(flag),
                    "README.md: `{}` has no option --{flag}",
                    shown(name)
                );
            }
        }
        for name in usage.keys() {
            assert!(
                commands.iter().any(|(n, _)| n == name),
                "README.md: no command `{name}`"
            );
        }
    }

    #[test]
    fn check_help_says_the_exit_codes_and_the_json_shape() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("check")
            .unwrap()
            .render_long_help()
            .to_string();
        for want in [
            "0  OK",
            "1  WARNING",
            "2  CRITICAL",
            "3  UNKNOWN",
            "The JSON shape:",
            "\"exit_code\": 1,               // the Nagios code",
        ] {
            assert!(help.contains(want), "{want:?} missing from:\n{help}");
        }
        // the shape is for --help; -h keeps to the options and the exit codes
        let short = cmd
            .find_subcommand_mut("check")
            .unwrap()
            .render_help()
            .to_string();
        assert!(short.contains("3  UNKNOWN"), "{short}");
        assert!(!short.contains("\"exit_code\""), "{short}");
        let help = cmd
            .find_subcommand_mut("summary")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("Exit status"), "{help}");
        // the whole shape, down to its last field
        assert!(help.contains("\"lost_total\": N,"), "{help}");
        assert!(
            help.contains("\"warnings\": [{\"kind\": \"panic\""),
            "{help}"
        );
        // demo lists the global --config, which it refuses: its help says so
        let help = cmd
            .find_subcommand_mut("demo")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("--config is refused"), "{help}");
    }

    #[test]
    fn the_subcommand_is_found_in_a_line_that_does_not_parse() {
        let named = |line: &[&str]| {
            let args: Vec<std::ffi::OsString> = line.iter().map(Into::into).collect();
            subcommand_named(&args)
        };
        assert_eq!(
            named(&["opsdeck", "check", "--bogus"]).as_deref(),
            Some("check")
        );
        assert_eq!(
            named(&["opsdeck", "--config", "check", "summary", "-x"]).as_deref(),
            Some("summary")
        );
        assert_eq!(
            named(&["opsdeck", "--theme", "mono", "--read-only", "check"]).as_deref(),
            Some("check")
        );
        assert_eq!(
            named(&["opsdeck", "--config=/c.toml", "check"]).as_deref(),
            Some("check")
        );
        assert_eq!(named(&["opsdeck", "--bogus"]), None);
    }

    /// The text a usage error writes to a colour terminal, after [`safe_usage_error`].
    fn usage_error_on_a_terminal(line: &[&str]) -> String {
        let args: Vec<std::ffi::OsString> = line.iter().map(Into::into).collect();
        let e = Cli::try_parse_from(&args).expect_err("the line is a usage error");
        match safe_usage_error(&args, e) {
            Ok(e) | Err(UsageError::Clap(e)) => e.render().ansi().to_string(),
            Err(UsageError::Plain(text)) => text,
        }
    }

    #[test]
    fn a_usage_error_quotes_a_hostile_word_escaped() {
        let title = "x\u{1b}]0;pwned\u{7}";
        for line in [
            &["opsdeck", "--color", title][..],
            &["opsdeck", "check", "--format", title],
            &["opsdeck", title],
            &["opsdeck", "summary", "--since", "1h", "--bogus\u{1b}[2J"],
        ] {
            let text = usage_error_on_a_terminal(line);
            assert!(
                !text.contains("\u{1b}]") && !text.contains("\u{1b}[2J") && !text.contains('\u{7}'),
                "{line:?} wrote a raw escape: {text:?}"
            );
            assert!(
                text.contains("x\\e]0;pwned\\x07") || text.contains("--bogus\\e[2J"),
                "{line:?} does not quote the word escaped: {text:?}"
            );
        }
        // A plain mistake keeps clap's own error, colours and all.
        let plain = usage_error_on_a_terminal(&["opsdeck", "--color", "purple"]);
        assert!(plain.contains("'\u{1b}[33mpurple\u{1b}[0m'"), "{plain:?}");
    }

    #[test]
    fn check_usage_errors_are_unknown() {
        let code = |line: &[&str]| {
            parse(line.iter().map(Into::into).collect())
                .err()
                .map(|c| c as i32)
        };
        assert_eq!(code(&["opsdeck", "check", "--format", "bogus"]), Some(3));
        assert_eq!(code(&["opsdeck", "check", "--bogus"]), Some(3));
        assert_eq!(
            code(&["opsdeck", "--config", "/x", "check", "extra"]),
            Some(3)
        );
        assert_eq!(code(&["opsdeck", "check", "--format", "json"]), None);
    }

    #[test]
    fn a_theme_the_configuration_names_is_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let source = ThemeSource {
            user_dir: Some(dir.path().to_path_buf()),
        };
        let config = Config::parse(
            "theme = \"solarized\"\n",
            std::path::Path::new("/etc/opsdeck/config.toml"),
        )
        .unwrap();
        let err = select_theme(
            &ScreenArgs::default(),
            &config,
            theme::ColorDepth::Ansi16,
            &source,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("/etc/opsdeck/config.toml: theme: theme \"solarized\" not found"),
            "{err}"
        );
        // from the command line it is the option's
        let cli = ScreenArgs {
            theme: Some("nord".into()),
            ..ScreenArgs::default()
        };
        let err = select_theme(&cli, &config, theme::ColorDepth::Ansi16, &source)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("theme \"nord\" not found"), "{err}");
    }

    #[test]
    fn read_only_flag_wins() {
        let mut c = Config::default();
        assert_eq!(resolve_mode(true, false, &c).unwrap(), Mode::ReadOnly);
        c.read_only = true;
        assert_eq!(resolve_mode(false, false, &c).unwrap(), Mode::ReadOnly);
        assert!(resolve_mode(false, true, &c).is_err());
        c.allow_write_override = true;
        assert_eq!(resolve_mode(false, true, &c).unwrap(), Mode::Interactive);
        c.read_only = false;
        assert_eq!(resolve_mode(false, false, &c).unwrap(), Mode::Interactive);
    }

    #[test]
    fn options_work_after_subcommand() {
        let cli =
            Cli::try_parse_from(["opsdeck", "demo", "--read-only", "--color", "256"]).unwrap();
        let Some(Command::Demo(after)) = cli.command else {
            panic!("{:?}", cli.command)
        };
        assert!(after.read_only);
        assert_eq!(after.color, Some(ColorMode::Ansi256));
        // before the subcommand too, the ones after it winning
        let cli =
            Cli::try_parse_from(["opsdeck", "--theme", "mono", "--read-only", "demo"]).unwrap();
        let Some(Command::Demo(after)) = cli.command else {
            panic!("{:?}", cli.command)
        };
        let both = after.or(cli.screen.clone());
        assert!(both.read_only);
        assert_eq!(both.theme.as_deref(), Some("mono"));
        let cli = Cli::try_parse_from(["opsdeck", "--theme", "mono", "demo", "--theme", "light"])
            .unwrap();
        let Some(Command::Demo(after)) = cli.command else {
            panic!("{:?}", cli.command)
        };
        assert_eq!(after.or(cli.screen).theme.as_deref(), Some("light"));
        // the reports take no screen options, but the configuration
        assert!(Cli::try_parse_from(["opsdeck", "summary", "--theme", "mono"]).is_err());
        assert!(Cli::try_parse_from(["opsdeck", "check", "--write"]).is_err());
        let cli = Cli::try_parse_from(["opsdeck", "check", "--config", "/x.toml"]).unwrap();
        assert_eq!(cli.config, Some(PathBuf::from("/x.toml")));
    }

    /// `--write` overrides a configuration's read_only: the demo reads none, and the reports
    /// change nothing. Given where it does nothing, it is a usage error, not a silent no-op;
    /// and so is `--read-only` before a report.
    #[test]
    fn read_only_and_write_are_refused_where_they_do_not_apply() {
        let e = parse_line(&["opsdeck", "demo", "--write"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::UnknownArgument);
        let e = parse_line(&["opsdeck", "--write", "demo"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::ArgumentConflict);
        let said = e.render().to_string();
        assert!(
            said.starts_with("error: --write does not apply to `opsdeck demo`: it reads no configuration, so there is no read_only to override (--read-only makes the demo read-only)"),
            "{said}"
        );
        assert!(said.contains("Usage: opsdeck"), "{said}");
        for (line, name) in [
            (&["opsdeck", "--write", "check"][..], "check"),
            (&["opsdeck", "--write", "summary"], "summary"),
        ] {
            let said = parse_line(line).unwrap_err().render().to_string();
            assert!(
                said.starts_with(&format!(
                    "error: --write does not apply to `opsdeck {name}`: it is a report"
                )),
                "{line:?}: {said}"
            );
        }
        // a report changes nothing: asked to be read-only, it is
        assert!(parse_line(&["opsdeck", "--read-only", "check"]).is_ok());
        assert!(parse_line(&["opsdeck", "--read-only", "summary", "/var/log/mail.log"]).is_ok());
        // where they apply they are taken as before
        assert!(parse_line(&["opsdeck", "--read-only", "demo"]).is_ok());
        assert!(parse_line(&["opsdeck", "demo", "--read-only"]).is_ok());
        assert!(parse_line(&["opsdeck", "--write"]).is_ok());
        assert!(parse_line(&["opsdeck", "--theme", "mono", "check"]).is_ok());
        // the demo's help no longer lists it
        let help = Cli::command()
            .find_subcommand_mut("demo")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(!help.contains("  --write"), "{help}");
        assert!(help.contains("--write"), "its help says why: {help}");
    }
}
