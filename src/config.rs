//! Configuration: where it is found, what it holds, and clear errors.
//!
//! Lookup order: `--config`, `$OPSDECK_CONFIG`,
//! `$XDG_CONFIG_HOME/opsdeck/config.toml` (or `~/.config/...`),
//! `/etc/opsdeck/config.toml`, then built-in defaults that match a stock
//! Debian host. A broken file stops with `file:line:col: what is wrong`;
//! unknown keys are errors too (a typo must not silently fall back to a
//! default). Each feature owns the type of its own section.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Start in read-only monitoring mode.
    #[serde(default)]
    pub read_only: bool,
    /// Let `--write` override `read_only = true`.
    #[serde(default)]
    pub allow_write_override: bool,
    /// Theme name (built in, or a file in `$XDG_CONFIG_HOME/opsdeck/themes/`).
    #[serde(default)]
    pub theme: Option<String>,
    /// Colour depth: auto, truecolor, 256, 16, none.
    #[serde(default)]
    pub color: Option<ColorMode>,
    /// Where opsdeck writes its own diagnostic log (never the terminal).
    #[serde(default)]
    pub log_file: Option<PathBuf>,
    /// Postfix instances (`postconf -c DIR`, `postqueue -c DIR`).
    #[serde(default = "default_postfix")]
    pub postfix: Vec<PostfixInstance>,
    #[serde(default)]
    pub mail_log: crate::mail::log::LogConfig,
    #[serde(default)]
    pub queue: crate::mail::queue::QueueConfig,
    #[serde(default)]
    pub senders: crate::mail::senders::SendersConfig,
    /// Deploy targets (`[[deploy]]`).
    #[serde(default)]
    pub deploy: Vec<crate::deploy::DeployConfig>,
    #[serde(default)]
    pub probe: crate::probe::ProbeConfig,
    /// Thresholds for `opsdeck check`.
    #[serde(default)]
    pub check: crate::check::CheckConfig,
    /// Where this configuration came from.
    #[serde(skip)]
    pub origin: Origin,
    /// Running on the demo sandbox (the banner says DEMO).
    #[serde(skip)]
    pub demo: bool,
}

/// One Postfix instance.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PostfixInstance {
    /// Shown in the panes ("default", "out", ...).
    #[serde(default = "default_instance_name")]
    pub name: String,
    /// Its `config_directory`, passed as `-c DIR`.
    #[serde(default = "default_config_dir")]
    pub config_dir: PathBuf,
    /// Put before every Postfix command, for example `["sudo", "-n"]`.
    #[serde(default)]
    pub command_prefix: Vec<String>,
}

impl PostfixInstance {
    /// Is this the stock instance (no `-c` needed)?
    pub fn is_default_dir(&self) -> bool {
        self.config_dir == Path::new("/etc/postfix")
    }
}

fn default_instance_name() -> String {
    "default".into()
}

fn default_config_dir() -> PathBuf {
    PathBuf::from("/etc/postfix")
}

fn default_postfix() -> Vec<PostfixInstance> {
    vec![PostfixInstance {
        name: default_instance_name(),
        config_dir: default_config_dir(),
        command_prefix: Vec::new(),
    }]
}

/// Colour depth.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ColorMode {
    Auto,
    Truecolor,
    #[serde(rename = "256")]
    #[value(name = "256")]
    Ansi256,
    #[serde(rename = "16")]
    #[value(name = "16")]
    Ansi16,
    None,
}

/// Where the configuration came from, for the status line and errors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    #[default]
    BuiltIn,
    File(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::BuiltIn => f.write_str("built-in defaults"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        // An empty document gives every default; this cannot fail.
        toml::from_str("").unwrap_or_else(|e| panic!("built-in defaults must parse: {e}"))
    }
}

/// A configuration that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read; `problem` says why in words (the I/O error is not kept as a
    /// source, so that a chain of causes prints it once).
    #[error("{}: cannot read the configuration: {problem}", path.display())]
    Read { path: PathBuf, problem: String },
    #[error("{}:{line}:{col}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Parse a document; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            let mut message = e.message().trim().to_string();
            if message == "duplicate key"
                && let Some(span) = e.span()
            {
                message = duplicate(text, span);
            }
            // the standard library's words for an address it cannot read say not what it wants
            let wanted = match message.as_str() {
                "invalid socket address syntax" => Some(
                    "write an IP address and a port, such as \"127.0.0.1:8099\" or \"[::1]:8099\"",
                ),
                "invalid IP address syntax" => {
                    Some("write an IP address, such as \"10.0.1.12\" (not a host name)")
                }
                _ => None,
            };
            if let Some(wanted) = wanted {
                message = format!("{message}: {wanted}");
            }
            if let Some(home) = where_known(&message) {
                message = format!("{message}: {home}");
            }
            message = plain_unknown(message);
            if let Some(span) = e.span() {
                message = plain_type_error(text, span.start, message);
            }
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                col,
                message,
            }
        })?;
        cfg.origin = Origin::File(path.to_path_buf());
        cfg.validate(text, path)?;
        Ok(cfg)
    }

    /// Refuse settings that parse but would break the output: two `[[postfix]]` instances of
    /// one name (the same Prometheus series twice, which node_exporter refuses), a `[check]`
    /// WARNING threshold past its CRITICAL one, a time setting of more than a century (the clock
    /// arithmetic it feeds would overflow), and `[mail_log] files = []` for a file source.
    /// The error names the line and column of the setting, and what to do.
    fn validate(&self, text: &str, path: &Path) -> Result<(), ConfigError> {
        // Where the settings are written; the document has parsed, so this does too (if it
        // did not, the errors still name the file and the key).
        let at: Positions = toml::from_str(text).unwrap_or_default();
        let error = |span: Option<std::ops::Range<usize>>, message: String| match span {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                ConfigError::Parse {
                    path: path.to_path_buf(),
                    line,
                    col,
                    message,
                }
            }
            None => ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            },
        };

        for (i, inst) in self.postfix.iter().enumerate() {
            if let Some(first) = self.postfix[..i].iter().position(|p| p.name == inst.name) {
                let span = |j: usize| {
                    at.postfix.get(j).map(|t| match &t.get_ref().name {
                        Some(n) => n.span(),
                        None => t.span(),
                    })
                };
                let first_line = span(first)
                    .map(|s| format!(" (the first at line {})", line_col(text, s.start).0))
                    .unwrap_or_default();
                return Err(error(
                    span(i),
                    format!(
                        "[[postfix]] name {:?} is given to two instances{first_line}: give each \
                         instance its own name (it labels the instance's metrics, and \
                         node_exporter refuses a file with the same series twice)",
                        inst.name
                    ),
                ));
            }
        }

        // A deploy target's and a probe target's name label their metrics and their findings
        // as an instance's does: two of one name are two series node_exporter refuses, and two
        // findings no one can tell apart.
        let named = [
            (
                "[[deploy]]",
                "deploy targets",
                self.deploy
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>(),
                &at.deploy,
            ),
            (
                "[[probe.targets]]",
                "probe targets",
                self.probe.targets.iter().map(|t| t.name.as_str()).collect(),
                &at.probe.targets,
            ),
        ];
        for (table, what, names, tables) in named {
            for (i, name) in names.iter().enumerate() {
                let Some(first) = names[..i].iter().position(|n| n == name) else {
                    continue;
                };
                let span = |j: usize| tables.get(j).and_then(|t| t.get("name")).map(|v| v.span());
                let first_line = span(first)
                    .map(|s| format!(" (the first at line {})", line_col(text, s.start).0))
                    .unwrap_or_default();
                return Err(error(
                    span(i),
                    format!(
                        "{table} name {name:?} is given to two {what}{first_line}: give each its \
                         own name (it labels the target's findings and metrics, and \
                         node_exporter refuses a file with the same series twice)"
                    ),
                ));
            }
        }

        let c = &self.check;
        let pairs = [
            ("queue_warn", c.queue_warn, "queue_crit", c.queue_crit),
            (
                "oldest_warn_secs",
                c.oldest_warn_secs,
                "oldest_crit_secs",
                c.oldest_crit_secs,
            ),
            (
                "failures_warn",
                c.failures_warn,
                "failures_crit",
                c.failures_crit,
            ),
        ];
        let key_span = |warn: &str, crit: &str| {
            at.check
                .get(warn)
                .or_else(|| at.check.get(crit))
                .map(|v| v.span())
        };
        for (warn, w, crit, k) in pairs {
            if w > k {
                return Err(error(
                    key_span(warn, crit),
                    format!(
                        "[check] {warn} = {w} is above {crit} = {k}: WARNING must come before \
                         CRITICAL: lower {warn} or raise {crit}"
                    ),
                ));
            }
        }
        // A count or an age is never below 0: a threshold of 0 is reached by an empty queue and
        // a quiet log, and every check would say WARNING or CRITICAL whatever it found.
        let zero = [
            ("queue_warn", c.queue_warn, "WARNING"),
            ("queue_crit", c.queue_crit, "CRITICAL"),
            ("oldest_warn_secs", c.oldest_warn_secs, "WARNING"),
            ("oldest_crit_secs", c.oldest_crit_secs, "CRITICAL"),
            ("failures_warn", c.failures_warn, "WARNING"),
            ("failures_crit", c.failures_crit, "CRITICAL"),
        ];
        for (key, value, word) in zero {
            if value == 0 {
                return Err(error(
                    key_span(key, key),
                    format!(
                        "[check] {key} = 0 is always reached: every check would say {word}, \
                         even with nothing to report: give at least 1 (a WARNING threshold \
                         equal to its CRITICAL one leaves out the WARNING step)"
                    ),
                ));
            }
        }
        // days left: fewer is worse
        if c.cert_warn_days < c.cert_crit_days {
            return Err(error(
                key_span("cert_warn_days", "cert_crit_days"),
                format!(
                    "[check] cert_warn_days = {} is below cert_crit_days = {}: a certificate \
                     must reach WARNING (days left) before CRITICAL: raise cert_warn_days or \
                     lower cert_crit_days",
                    c.cert_warn_days, c.cert_crit_days
                ),
            ));
        }

        // Times opsdeck adds to or takes from a clock: past this, chrono and std::time overflow
        // (a panic, or a window that wraps). No setting needs more than a century.
        const CENTURY_SECS: u64 = 36_525 * 86_400;
        let spans = |table: &Spans, key: &str| table.get(key).map(|v| v.span());
        let times = [
            (
                "check",
                "failure_window_secs",
                c.failure_window_secs,
                1,
                spans(&at.check, "failure_window_secs"),
            ),
            (
                "check",
                "probe_deadline_secs",
                c.probe_deadline_secs,
                1,
                spans(&at.check, "probe_deadline_secs"),
            ),
            (
                "check",
                "read_timeout_secs",
                c.read_timeout_secs,
                1,
                spans(&at.check, "read_timeout_secs"),
            ),
            (
                "check",
                "deadline_secs",
                c.deadline_secs,
                1,
                spans(&at.check, "deadline_secs"),
            ),
            (
                "mail_log",
                "backfill_hours",
                self.mail_log.backfill_hours,
                3600,
                spans(&at.mail_log, "backfill_hours"),
            ),
            (
                "senders",
                "trace_timeout_secs",
                self.senders.trace_timeout_secs,
                1,
                spans(&at.senders, "trace_timeout_secs"),
            ),
            (
                "probe.echo",
                "header_timeout_secs",
                self.probe.echo.header_timeout_secs,
                1,
                at.probe
                    .echo
                    .as_ref()
                    .and_then(|e| spans(e, "header_timeout_secs")),
            ),
        ];
        for (table, key, value, unit, span) in times {
            if value > CENTURY_SECS / unit {
                return Err(error(
                    span,
                    format!(
                        "[{table}] {key} = {value} is more than a hundred years: give a time \
                         up to {}",
                        CENTURY_SECS / unit
                    ),
                ));
            }
        }

        // Times and sizes of 0: none means "never" or "no limit", as a reader may take it (the
        // probe's interval_secs = 0 does mean "only when asked"); each would be taken as the
        // least there is, quietly: postqueue or SES asked every second for days, a deploy hook
        // killed after a second, every log line cut to nothing, a check given one second.
        let every_second = "it would be read every second (0 is not \"never\")";
        let one_second = "it would be taken as 1 second (0 is not \"no limit\")";
        let mut zero: Vec<(String, u64, Option<std::ops::Range<usize>>, &str)> = vec![
            (
                "[queue] interval_secs".into(),
                self.queue.interval_secs,
                spans(&at.queue, "interval_secs"),
                every_second,
            ),
            (
                "[senders] refresh_secs".into(),
                self.senders.refresh_secs,
                spans(&at.senders, "refresh_secs"),
                every_second,
            ),
            (
                "[senders] ses_refresh_secs".into(),
                self.senders.ses_refresh_secs,
                spans(&at.senders, "ses_refresh_secs"),
                "SES would be asked every second (0 is not \"never\": set ses = false for that)",
            ),
            (
                "[senders] trace_timeout_secs".into(),
                self.senders.trace_timeout_secs,
                spans(&at.senders, "trace_timeout_secs"),
                "a test mail's trace would give up at once (0 is not \"no limit\")",
            ),
            (
                "[senders] route_backups".into(),
                self.senders.route_backups as u64,
                spans(&at.senders, "route_backups"),
                "an edit of a route map would keep no backup, not even its own (0 is not \
                 \"keep them all\")",
            ),
            (
                "[mail_log] max_line_bytes".into(),
                self.mail_log.max_line_bytes as u64,
                spans(&at.mail_log, "max_line_bytes"),
                "every log line would be cut to nothing (0 is not \"no limit\")",
            ),
        ];
        for (key, value) in [
            ("failure_window_secs", c.failure_window_secs),
            ("probe_deadline_secs", c.probe_deadline_secs),
            ("read_timeout_secs", c.read_timeout_secs),
            ("deadline_secs", c.deadline_secs),
        ] {
            zero.push((
                format!("[check] {key}"),
                value,
                spans(&at.check, key),
                one_second,
            ));
        }
        for (i, d) in self.deploy.iter().enumerate() {
            zero.push((
                "[[deploy]] hook_timeout_secs".into(),
                d.hook_timeout_secs,
                at.deploy.get(i).and_then(|t| spans(t, "hook_timeout_secs")),
                "the post-deploy hook would be killed after 1 second (0 is not \"no limit\")",
            ));
        }
        if let Some((setting, _, span, why)) = zero.into_iter().find(|z| z.1 == 0) {
            return Err(error(
                span,
                format!("{setting} = 0: {why}: give a number of at least 1"),
            ));
        }

        // Paths: no shell reads this file, and opsdeck may be started from any directory.
        let key = |table: Option<&Spans>, key: &str| table.and_then(|t| spans(t, key));
        let mut paths: Vec<(String, &Path, Option<std::ops::Range<usize>>)> = Vec::new();
        if let Some(p) = &self.log_file {
            paths.push(("log_file".into(), p, at.log_file.as_ref().map(|v| v.span())));
        }
        for (i, inst) in self.postfix.iter().enumerate() {
            let span = at
                .postfix
                .get(i)
                .and_then(|t| t.get_ref().config_dir.as_ref());
            paths.push((
                "[[postfix]] config_dir".into(),
                &inst.config_dir,
                span.map(|v| v.span()),
            ));
        }
        for f in &self.mail_log.files {
            paths.push((
                "[mail_log] files".into(),
                f,
                key(Some(&at.mail_log), "files"),
            ));
        }
        if let Some(p) = &self.mail_log.journal_directory {
            paths.push((
                "[mail_log] journal_directory".into(),
                p,
                key(Some(&at.mail_log), "journal_directory"),
            ));
        }
        if let Some(p) = &self.senders.mail_log {
            paths.push((
                "[senders] mail_log".into(),
                p,
                key(Some(&at.senders), "mail_log"),
            ));
        }
        for (i, d) in self.deploy.iter().enumerate() {
            let table = at.deploy.get(i);
            if !d.path.as_os_str().is_empty() {
                paths.push(("[[deploy]] path".into(), &d.path, key(table, "path")));
            }
            for (name, p) in [("ssh_key", &d.ssh_key), ("known_hosts", &d.known_hosts)] {
                if let Some(p) = p {
                    paths.push((format!("[[deploy]] {name}"), p, key(table, name)));
                }
            }
        }
        for (i, t) in self.probe.targets.iter().enumerate() {
            if let Some(p) = &t.ca_file {
                let table = at.probe.targets.get(i);
                paths.push(("[[probe.targets]] ca_file".into(), p, key(table, "ca_file")));
            }
        }
        for (setting, p, span) in paths {
            let why = if p.to_string_lossy().starts_with('~') {
                "a ~ is not expanded here (no shell reads this file): write the full path"
            } else if p.is_relative() {
                "a relative path would be read from whatever directory opsdeck is started in: \
                 write the full path"
            } else {
                continue;
            };
            return Err(error(
                span,
                format!("{setting} = {:?}: {why}", p.display().to_string()),
            ));
        }

        // journalctl reads every journal file in the directory it is given: a file named there
        // would only show as a journal with no lines. A directory not there yet (a mount, the
        // first upload to systemd-journal-remote) is journalctl's to say, while it is retried.
        if let Some(dir) = &self.mail_log.journal_directory
            && std::fs::metadata(dir).is_ok_and(|m| !m.is_dir())
        {
            return Err(error(
                key(Some(&at.mail_log), "journal_directory"),
                format!(
                    "[mail_log] journal_directory = {:?}: it is not a directory: name the \
                     directory that holds the journal files (journalctl reads every *.journal \
                     file in it)",
                    dir.display().to_string()
                ),
            ));
        }

        // URLs: the probe's own parser, so what loads is what can be probed.
        let mut urls: Vec<(String, &str, Option<std::ops::Range<usize>>)> = Vec::new();
        for (i, t) in self.probe.targets.iter().enumerate() {
            let table = at.probe.targets.get(i);
            urls.push(("[[probe.targets]] url".into(), &t.url, key(table, "url")));
            for (name, u) in [
                ("expect_final", &t.expect_final),
                ("http_url", &t.http_url),
                ("echo_url", &t.echo_url),
                ("backend_url", &t.backend_url),
            ] {
                if let Some(u) = u {
                    urls.push((format!("[[probe.targets]] {name}"), u, key(table, name)));
                }
            }
        }
        if let Some(u) = &self.senders.ses_endpoint {
            urls.push((
                "[senders] ses_endpoint".into(),
                u,
                key(Some(&at.senders), "ses_endpoint"),
            ));
        }
        for (setting, url, span) in urls {
            let why = if !url.contains("://") {
                format!("it has no scheme: write \"https://{url}\" (or http://)")
            } else {
                match crate::probe::client::Target::parse(url) {
                    Ok(_) => continue,
                    Err(crate::probe::ProbeError::Url { why, .. }) => {
                        format!("{why}: write a whole http:// or https:// URL")
                    }
                    Err(e) => e.to_string(),
                }
            };
            // a user name and password written into the URL are not repeated
            let url = crate::sanitize::hide_url_userinfo(url);
            return Err(error(span, format!("{setting} = {url:?}: {why}")));
        }

        // A deploy target's remote is the name of one of its checkout's remotes, as in `git
        // fetch origin`: a URL or a path written there would be looked up as a name no remote
        // has, and the refusal at the first fetch would not say which setting to change.
        for (i, d) in self.deploy.iter().enumerate() {
            let Some(not) = crate::deploy::NotARemoteName::of(&d.remote) else {
                continue;
            };
            let git = if d.path.as_os_str().is_empty() {
                "git".to_string()
            } else {
                format!("git -C {}", crate::sanitize::shell_path(&d.path))
            };
            let written = crate::sanitize::hide_url_userinfo(&d.remote);
            let add = match not {
                crate::deploy::NotARemoteName::Url | crate::deploy::NotARemoteName::Path => {
                    let url = crate::sanitize::shell_word(&written);
                    format!(", or add a remote for it: {git} remote add origin {url}")
                }
                // `origin:main`: the branch has a setting of its own
                crate::deploy::NotARemoteName::Colon => match written.split_once(':') {
                    Some((_, branch)) if !branch.is_empty() => {
                        format!(", and the branch apart: branch = {branch:?}")
                    }
                    _ => String::new(),
                },
                crate::deploy::NotARemoteName::Refused => String::new(),
            };
            return Err(error(
                key(at.deploy.get(i), "remote"),
                format!(
                    "[[deploy]] remote = {written:?}: {}, where the name of a remote of the \
                     checkout belongs: write its name, such as \"origin\" ({git} remote -v \
                     lists them){add}",
                    not.words()
                ),
            ));
        }

        // SES regions are named as AWS names them; a typo would only show as a failure to
        // reach an endpoint that does not exist.
        let regions = self
            .senders
            .ses_region
            .iter()
            .map(|r| (r, "ses_region"))
            .chain(self.senders.ses_regions.iter().map(|r| (r, "ses_regions")));
        for (region, name) in regions {
            if !is_region_name(region) {
                return Err(error(
                    key(Some(&at.senders), name),
                    format!(
                        "[senders] {name}: {region:?} is not an AWS region name: write it as \
                         AWS does, such as \"us-east-1\" or \"eu-west-1\""
                    ),
                ));
            }
        }

        if let Some(name) = &self.senders.instance
            && !self.postfix.iter().any(|p| &p.name == name)
        {
            let names: Vec<String> = self
                .postfix
                .iter()
                .map(|p| format!("{:?}", p.name))
                .collect();
            return Err(error(
                key(Some(&at.senders), "instance"),
                format!(
                    "[senders] instance = {name:?} names no [[postfix]] instance: the instances \
                     are {}",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }

        if self.mail_log.source == crate::mail::log::LogSourceKind::File
            && self.mail_log.files.is_empty()
        {
            return Err(error(
                at.mail_log.get("files").map(|v| v.span()),
                "[mail_log] files = [] names no log to read: name the mail log \
                 (files = [\"/var/log/mail.log\"]), or set source = \"journal\""
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = read_text(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            problem: read_problem(path, &e),
        })?;
        Config::parse(&text, path)
    }

    /// Find and load the configuration in the documented order.
    pub fn discover(cli: Option<&Path>) -> Result<Config, ConfigError> {
        let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
        match locate(cli, env, |p| p.is_file()) {
            // a file that cannot be read says who named it when no option did
            Some(p) => Config::load(&p).map_err(|e| match e {
                ConfigError::Read { path, problem }
                    if cli.is_none()
                        && env("OPSDECK_CONFIG").as_deref() == Some(path.as_path()) =>
                {
                    ConfigError::Read {
                        path,
                        problem: format!("{problem} (named by $OPSDECK_CONFIG)"),
                    }
                }
                e => e,
            }),
            None => Ok(Config::default()),
        }
    }
}

/// The keys a table's type accepts, as its derived `Deserialize` names them: it asks the
/// deserializer for a struct with these fields.
fn keys_of<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
    use serde::de::value::Error;
    struct Probe<'a>(&'a mut Vec<&'static str>);
    impl<'de> serde::Deserializer<'de> for Probe<'_> {
        type Error = Error;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(serde::de::Error::custom("not a table"))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            self.0.extend(fields);
            Err(serde::de::Error::custom("keys read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut keys = Vec::new();
    let _ = T::deserialize(Probe(&mut keys));
    keys
}

/// Each table of the configuration (`""` the top level; a repeated table by its name) and the
/// keys it takes, read from the types that read it.
fn tables() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("", keys_of::<Config>()),
        ("postfix", keys_of::<PostfixInstance>()),
        ("queue", keys_of::<crate::mail::queue::QueueConfig>()),
        ("mail_log", keys_of::<crate::mail::log::LogConfig>()),
        ("senders", keys_of::<crate::mail::senders::SendersConfig>()),
        ("deploy", keys_of::<crate::deploy::DeployConfig>()),
        ("probe", keys_of::<crate::probe::ProbeConfig>()),
        ("probe.echo", keys_of::<crate::probe::config::EchoConfig>()),
        (
            "probe.targets",
            keys_of::<crate::probe::config::TargetConfig>(),
        ),
        ("check", keys_of::<crate::check::CheckConfig>()),
    ]
}

/// For an unknown key, the tables where it is known: a key written above its table's header,
/// or under the wrong one, is the usual mistake.
fn where_known(message: &str) -> Option<String> {
    let name = message.strip_prefix("unknown field `")?.split('`').next()?;
    let homes: Vec<String> = tables()
        .into_iter()
        .filter(|(_, keys)| keys.contains(&name))
        .map(|(t, _)| match t {
            "" => "the top level (above the first [table])".to_string(),
            "postfix" | "deploy" | "probe.targets" => format!("[[{t}]]"),
            t => format!("[{t}]"),
        })
        .collect();
    (!homes.is_empty()).then(|| format!("{name} belongs in {}", homes.join(" or ")))
}

/// An unknown key or value in the words of a TOML file rather than of serde's fields and
/// variants: "unknown key `interval`: the keys here are `interval_secs`, ...".
fn plain_unknown(message: String) -> String {
    for (serde, ours, list) in [
        ("unknown field `", "unknown key `", "the keys here are"),
        ("unknown variant `", "unknown value `", "write one of"),
    ] {
        let Some(rest) = message.strip_prefix(serde) else {
            continue;
        };
        let Some((name, tail)) = rest.split_once('`') else {
            return message;
        };
        let tail = tail
            .strip_prefix(", expected one of ")
            .or_else(|| tail.strip_prefix(", expected "))
            .map(|keys| format!(": {list} {keys}"))
            .unwrap_or_else(|| tail.replacen(", there are no fields", ": this table has none", 1));
        return format!("{ours}{name}`{tail}");
    }
    message
}

/// A value of the wrong type or out of range, in words: the setting it was written for (the
/// parser points at the value, and a line can hold a list), and what it wants as a person
/// writes it rather than as Rust names it ("u64"). The value itself is not repeated: it may be
/// a password.
fn plain_type_error(text: &str, at: usize, message: String) -> String {
    if !["invalid type: ", "invalid value: ", "unknown value `"]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return message;
    }
    const WANTED: [(&str, &str); 14] = [
        ("u8", "a whole number from 0 to 255"),
        ("u16", "a whole number from 0 to 65535"),
        ("u32", "a whole number from 0 to 4294967295"),
        ("u64", "a whole number, 0 or more"),
        ("usize", "a whole number, 0 or more"),
        ("i8", "a whole number"),
        ("i16", "a whole number"),
        ("i32", "a whole number"),
        ("i64", "a whole number"),
        ("isize", "a whole number"),
        ("f32", "a number"),
        ("f64", "a number"),
        ("a boolean", "true or false"),
        ("a sequence", "a list in brackets, such as [\"a\", \"b\"]"),
    ];
    let mut message = message;
    // each of them is written bare: a quoted one is a string
    for (rust, words) in WANTED {
        if let Some(head) = message.strip_suffix(&format!(", expected {rust}")) {
            let quoted = head.starts_with("invalid type: string ");
            message = format!(
                "{head}, expected {words}{}",
                if quoted {
                    ": write it without quotes"
                } else {
                    ""
                }
            );
            break;
        }
    }
    match setting_at(text, at) {
        Some(setting) => format!("{setting}: {message}"),
        None => message,
    }
}

/// The setting whose value is at byte `at`, as `[table] key` (a key of the top level alone):
/// the key before the `=` on that line, under the nearest table header above it.
fn setting_at(text: &str, at: usize) -> Option<String> {
    let at = at.min(text.len());
    let start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let before = text.get(start..at)?;
    let key = before
        .split('=')
        .next()
        .filter(|_| before.contains('='))?
        .trim();
    if key.is_empty() || key.starts_with('[') {
        return None;
    }
    let header = text[..start].lines().rev().map(str::trim).find_map(|l| {
        let end = if l.starts_with("[[") {
            l.find("]]").map(|i| i + 2)
        } else if l.starts_with('[') {
            l.find(']').map(|i| i + 1)
        } else {
            None
        };
        end.map(|e| &l[..e])
    });
    Some(match header {
        Some(h) => format!("{h} {key}"),
        None => key.to_string(),
    })
}

/// Why a configuration file could not be read, and what to do.
fn read_problem(path: &Path, e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file".into(),
        ErrorKind::IsADirectory => format!(
            "it is a directory: name the file itself (such as {})",
            path.join("config.toml").display()
        ),
        ErrorKind::PermissionDenied => {
            "permission denied: run opsdeck as a user who may read it, or make it readable".into()
        }
        ErrorKind::InvalidData => "it is not UTF-8 text".into(),
        ErrorKind::InvalidInput => format!("it {e}: name the configuration file itself"),
        _ => e.to_string(),
    }
}

/// Who besides root may change a configuration owned by `uid`:`gid` with `mode`, when opsdeck
/// runs as `euid` root (`None` otherwise, or when only root may): root runs the commands a
/// configuration names, so it takes them only from a file no one else may write, as OpenSSH
/// asks of its own (`sudo -E` keeps a user's HOME, and with it their configuration).
fn not_roots_alone(euid: u32, uid: u32, gid: u32, mode: u32) -> Option<String> {
    if euid != 0 {
        return None;
    }
    if uid != 0 {
        return Some(format!("its owner {}", crate::accounts::user_name(uid)));
    }
    if mode & 0o002 != 0 {
        return Some("everyone".into());
    }
    if mode & 0o020 != 0 && gid != 0 {
        return Some(format!("group {}", crate::accounts::group_name(gid)));
    }
    None
}

/// The most of a configuration that is read: far more than any configuration holds.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The text of the configuration at `path`, never held up by what is there instead of a file:
/// a FIFO that nobody writes to (one with a writer, `--config <(sops -d config.toml)`, is read to
/// its end), or a device that never ends (`/dev/zero`; `/dev/null` reads as empty). A block
/// device or a socket is not opened.
fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let refused = |m: &std::fs::Metadata| {
        let t = m.file_type();
        t.is_dir() || t.is_block_device() || t.is_socket()
    };
    let m = std::fs::metadata(path)?;
    if refused(&m) {
        return Err(crate::plainfile::not_plain(&m));
    }
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let m = f.metadata()?;
    if refused(&m) {
        return Err(crate::plainfile::not_plain(&m));
    }
    if m.file_type().is_file() || m.file_type().is_fifo() {
        use std::os::unix::fs::MetadataExt;
        let euid = nix::unistd::geteuid().as_raw();
        if let Some(who) = not_roots_alone(euid, m.uid(), m.gid(), m.mode()) {
            return Err(Error::other(format!(
                "{who} may change it, and opsdeck runs as root: the commands it names \
                 (command_prefix, postqueue_command, post_deploy) would run as root for them; \
                 make it root's alone (chown root: FILE; chmod go-w FILE), or name root's own \
                 with --config"
            )));
        }
    }
    let mut text = Vec::new();
    if m.file_type().is_fifo() {
        // opened at once: read nothing yet and no writer is the end of it
        let mut first = [0u8; 4096];
        let n = loop {
            match f.read(&mut first) {
                Ok(0) => {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        "is a FIFO (named pipe) with nothing in it and nobody writing to it (did \
                         the command that feeds it fail?)",
                    ));
                }
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break 0,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        // a writer is there: wait for the rest (below), as from standard input
        text.extend_from_slice(&first[..n]);
    }
    crate::plainfile::blocking(f)?
        .take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut text)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "goes on past {} MiB, which no configuration does ({} that does not end?)",
                MAX_CONFIG_BYTES >> 20,
                crate::plainfile::kind(&m)
            ),
        ));
    }
    String::from_utf8(text).map_err(|_| Error::from(ErrorKind::InvalidData))
}

/// What a duplicate key is, in words: the parser only says "duplicate key" (at the key).
fn duplicate(text: &str, span: std::ops::Range<usize>) -> String {
    let name = text.get(span.clone()).unwrap_or("").trim();
    let line_start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("").trim();
    let Some(header) = line.strip_prefix('[') else {
        return format!("{name} is set twice in this table: keep one");
    };
    let table = header.trim_matches(|c| c == '[' || c == ']').trim();
    let single = text
        .lines()
        .any(|l| l.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']')) == Some(table));
    if single && text.contains(&format!("[[{table}]]")) {
        format!(
            "[{table}] and [[{table}]] are both written: a table is either written once as \
             [{table}] or repeated as [[{table}]]"
        )
    } else {
        format!("the table [{table}] is written twice: put its settings under one [{table}]")
    }
}

/// An AWS region name as AWS writes it: lowercase words and a number joined by `-`
/// (`us-east-1`, `us-gov-west-1`, `ap-southeast-2`).
fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let Some((number, words)) = parts.split_last() else {
        return false;
    };
    words.len() >= 2
        && words
            .iter()
            .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase()))
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// Where the keys of one table are written (their values are not read again: a value toml::Value
/// cannot hold, such as an integer past i64, still has its place).
type Spans = std::collections::BTreeMap<String, toml::Spanned<serde::de::IgnoredAny>>;

/// Where the settings [`Config::validate`] checks are written in the document.
#[derive(Debug, Default, Deserialize)]
struct Positions {
    #[serde(default)]
    log_file: Option<toml::Spanned<serde::de::IgnoredAny>>,
    #[serde(default)]
    postfix: Vec<toml::Spanned<PostfixPosition>>,
    #[serde(default)]
    deploy: Vec<Spans>,
    #[serde(default)]
    check: Spans,
    #[serde(default)]
    queue: Spans,
    #[serde(default)]
    mail_log: Spans,
    #[serde(default)]
    senders: Spans,
    #[serde(default)]
    probe: ProbePositions,
}

#[derive(Debug, Default, Deserialize)]
struct ProbePositions {
    echo: Option<Spans>,
    #[serde(default)]
    targets: Vec<Spans>,
}

#[derive(Debug, Deserialize)]
struct PostfixPosition {
    name: Option<toml::Spanned<String>>,
    config_dir: Option<toml::Spanned<serde::de::IgnoredAny>>,
}

/// A list setting that may also be written as one string (`files = "/var/log/mail.log"` as
/// well as `files = ["/var/log/mail.log"]`); anything else is refused with what was expected.
pub fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: From<String>,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<'de, T: From<String>> serde::de::Visitor<'de> for Visit<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<T>, E> {
            Ok(vec![T::from(v.to_string())])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(v) = seq.next_element::<String>()? {
                out.push(T::from(v));
            }
            Ok(out)
        }
    }
    d.deserialize_any(Visit(std::marker::PhantomData))
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The lookup order, with the environment and file system passed in so it
/// can be tested. An explicitly named file is returned even if missing (so
/// that the user gets "no such file", not the defaults).
pub fn locate(
    cli: Option<&Path>,
    env: impl Fn(&str) -> Option<PathBuf>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    if let Some(p) = cli {
        return Some(p.to_path_buf());
    }
    if let Some(p) = env("OPSDECK_CONFIG").filter(|p| !p.as_os_str().is_empty()) {
        return Some(p);
    }
    let xdg = env("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|h| h.join(".config")));
    if let Some(dir) = xdg {
        let p = dir.join("opsdeck/config.toml");
        if exists(&p) {
            return Some(p);
        }
    }
    let etc = PathBuf::from("/etc/opsdeck/config.toml");
    if exists(&etc) {
        return Some(etc);
    }
    None
}

/// Where user themes live: `$XDG_CONFIG_HOME/opsdeck/themes` (or `~/.config/...`).
pub fn user_theme_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("opsdeck/themes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error `Config::parse` gives for `text`, read from `c.toml`.
    fn msg(text: &str) -> String {
        Config::parse(text, Path::new("c.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_match_a_debian_host() {
        let c = Config::default();
        assert_eq!(c.postfix.len(), 1);
        assert_eq!(c.postfix[0].config_dir, PathBuf::from("/etc/postfix"));
        assert!(!c.read_only);
        assert_eq!(c.origin, Origin::BuiltIn);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let text =
            "read_only = true\n\n[[postfix]]\nname = \"out\"\nconfg_dir = \"/etc/postfix-out\"\n";
        let err = Config::parse(text, Path::new("/tmp/c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("/tmp/c.toml:5:1: "), "{msg}");
        assert!(msg.contains("confg_dir"), "{msg}");
    }

    #[test]
    fn wrong_type_is_reported_with_position() {
        let err = Config::parse("read_only = \"yes\"\n", Path::new("c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("c.toml:1:13: "), "{msg}");
    }

    #[test]
    fn an_unknown_key_or_value_is_said_in_the_words_of_the_file() {
        let m = msg("[queue]\ninterval = 5\n");
        assert!(
            m.starts_with("c.toml:2:1: unknown key `interval`: the keys here are `interval_secs`"),
            "{m}"
        );
        let m = msg("[mail_log]\nsource = \"jornal\"\n");
        assert!(
            m.starts_with("c.toml:2:10: [mail_log] source: unknown value `jornal`: write one of "),
            "{m}"
        );
        assert!(m.contains("`journal`"), "{m}");
    }

    #[test]
    fn a_value_of_the_wrong_kind_names_its_setting_and_what_to_write() {
        assert_eq!(
            msg("[probe.echo]\ntrusted_proxies = 5\n"),
            "c.toml:2:19: [probe.echo] trusted_proxies: invalid type: integer `5`, expected a \
             list in brackets, such as [\"a\", \"b\"]"
        );
        assert_eq!(
            msg("[queue]\ninterval_secs = \"5\"\n"),
            "c.toml:2:17: [queue] interval_secs: invalid type: string \"5\", expected a whole \
             number, 0 or more: write it without quotes"
        );
        assert_eq!(
            msg("[queue]\ninterval_secs = -5\n"),
            "c.toml:2:17: [queue] interval_secs: invalid value: integer `-5`, expected a whole \
             number, 0 or more"
        );
        assert_eq!(
            msg("read_only = \"yes\"\n"),
            "c.toml:1:13: read_only: invalid type: string \"yes\", expected true or false: \
             write it without quotes"
        );
        assert_eq!(
            msg("[[deploy]]  # the shop\nname = \"w\"\npath = \"/srv/w\"\nlog_entries = 2.5\n"),
            "c.toml:4:15: [[deploy]] log_entries: invalid type: floating point `2.5`, expected \
             a whole number, 0 or more"
        );
    }

    #[test]
    fn a_list_setting_takes_one_string_too() {
        let one = Config::parse(
            "[mail_log]\nfiles = \"/var/log/maillog\"\njournal_units = \"postfix@-\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(one.mail_log.files, vec![PathBuf::from("/var/log/maillog")]);
        assert_eq!(one.mail_log.journal_units, vec!["postfix@-".to_string()]);
        let many = Config::parse(
            "[mail_log]\nfiles = [\"/var/log/mail.log\", \"/var/log/postfix.log\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(many.mail_log.files.len(), 2);
        // a wrong type still says where and what was wanted
        let err = Config::parse("[mail_log]\nfiles = 3\n", Path::new("c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("c.toml:2:9: "), "{msg}");
        assert!(msg.contains("a string or a list of strings"), "{msg}");
        let err =
            Config::parse("[mail_log]\nfiles = [\"a\", 3]\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:2:"), "{err}");
    }

    #[test]
    fn a_file_that_cannot_be_read_says_why_once() {
        let dir = tempfile::tempdir().unwrap();
        let err = Config::load(dir.path()).unwrap_err();
        // as the binary prints it: with the chain of causes
        let msg = format!("{:#}", anyhow::Error::from(err));
        assert_eq!(
            msg,
            format!(
                "{0}: cannot read the configuration: it is a directory: name the file itself \
                 (such as {0}/config.toml)",
                dir.path().display()
            )
        );
        let missing = dir.path().join("nope.toml");
        let msg = format!(
            "{:#}",
            anyhow::Error::from(Config::load(&missing).unwrap_err())
        );
        assert_eq!(
            msg,
            format!(
                "{}: cannot read the configuration: no such file",
                missing.display()
            )
        );
        let binary = dir.path().join("c.toml");
        std::fs::write(&binary, b"read_only = \xff\n").unwrap();
        let msg = Config::load(&binary).unwrap_err().to_string();
        assert!(
            msg.ends_with(": cannot read the configuration: it is not UTF-8 text"),
            "{msg}"
        );
    }

    #[test]
    fn a_fifo_or_an_endless_device_as_configuration_is_said_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("c.toml");
        crate::plainfile::testing::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        let p = fifo.clone();
        std::thread::spawn(move || tx.send(Config::load(&p).map(|_| ())));
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("a FIFO nobody writes to held the configuration's reading");
        assert_eq!(
            got.unwrap_err().to_string(),
            format!(
                "{}: cannot read the configuration: it is a FIFO (named pipe) with nothing in it \
                 and nobody writing to it (did the command that feeds it fail?): name the \
                 configuration file itself",
                fifo.display()
            )
        );
        // one with a writer is read to its end, as `--config <(…)` gives it: the writer is there
        // before the read (read and write, which does not wait for a reader) and writes later
        let mut w = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            std::io::Write::write_all(&mut w, b"read_only = true\n").unwrap();
        });
        let c = Config::load(&fifo).unwrap();
        writer.join().unwrap();
        assert!(c.read_only);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(Config::load(Path::new("/dev/zero")).map(|_| ())));
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("/dev/zero was read without end");
        assert_eq!(
            got.unwrap_err().to_string(),
            "/dev/zero: cannot read the configuration: it goes on past 1 MiB, which no \
             configuration does (a character device that does not end?): name the \
             configuration file itself"
        );
        assert!(Config::load(Path::new("/dev/null")).is_ok());
    }

    /// Root takes its configuration only from a file no one else may write: its owner if not
    /// root, everyone, or a group other than root's. Anyone else reads any configuration.
    #[test]
    fn root_takes_no_configuration_others_may_change() {
        assert_eq!(not_roots_alone(0, 0, 0, 0o100644), None);
        assert_eq!(not_roots_alone(0, 0, 0, 0o100664), None, "group root");
        assert_eq!(not_roots_alone(0, 0, 0, 0o010600), None, "a FIFO of root's");
        assert_eq!(
            not_roots_alone(0, 65534, 0, 0o100600).as_deref(),
            Some("its owner nobody")
        );
        assert_eq!(
            not_roots_alone(0, 0, 0, 0o100666).as_deref(),
            Some("everyone")
        );
        assert_eq!(
            not_roots_alone(0, 0, 65534, 0o100664).as_deref(),
            Some("group nogroup")
        );
        for (uid, gid, mode) in [
            (65534, 0, 0o100600),
            (0, 0, 0o100666),
            (1000, 1000, 0o100777),
        ] {
            assert_eq!(not_roots_alone(1000, uid, gid, mode), None);
        }
    }

    /// As root, a configuration another user owns is refused with what to do, not read: under
    /// `sudo -E`, `~/.config/opsdeck/config.toml` is the user's.
    #[test]
    fn root_refuses_a_configuration_another_user_owns() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root, to give a configuration to another user");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "read_only = true\n").unwrap();
        assert!(Config::load(&p).unwrap().read_only);
        nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(65534)), None).unwrap();
        assert_eq!(
            Config::load(&p).unwrap_err().to_string(),
            format!(
                "{}: cannot read the configuration: its owner nobody may change it, and opsdeck \
                 runs as root: the commands it names (command_prefix, postqueue_command, \
                 post_deploy) would run as root for them; make it root's alone (chown root: \
                 FILE; chmod go-w FILE), or name root's own with --config",
                p.display()
            )
        );
    }

    #[test]
    fn a_key_or_table_written_twice_is_named() {
        assert_eq!(
            msg("[queue]\ninterval_secs = 5\n\n[queue]\nbody_max_bytes = 4096\n"),
            "c.toml:4:2: the table [queue] is written twice: put its settings under one [queue]"
        );
        assert_eq!(
            msg("[probe.echo]\nenabled = true\n[probe.echo]\n"),
            "c.toml:3:8: the table [probe.echo] is written twice: put its settings under one \
             [probe.echo]"
        );
        assert_eq!(
            msg("[queue]\ninterval_secs = 5\ninterval_secs = 6\n"),
            "c.toml:3:1: interval_secs is set twice in this table: keep one"
        );
        assert_eq!(
            msg("[[postfix]]\nname = \"a\"\n[postfix]\nname = \"b\"\n"),
            "c.toml:3:2: [postfix] and [[postfix]] are both written: a table is either written \
             once as [postfix] or repeated as [[postfix]]"
        );
    }

    #[test]
    fn an_address_that_does_not_parse_says_what_to_write() {
        let msg = Config::parse("[probe.echo]\nlisten = \"8099\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            "c.toml:2:10: invalid socket address syntax: write an IP address and a port, such \
             as \"127.0.0.1:8099\" or \"[::1]:8099\""
        );
        let msg = Config::parse(
            "[[probe.targets]]\nname = \"w\"\nurl = \"https://w/\"\nresolve = \"lb1\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            msg,
            "c.toml:4:11: invalid IP address syntax: write an IP address, such as \"10.0.1.12\" \
             (not a host name)"
        );
    }

    #[test]
    fn an_unknown_key_says_which_table_it_belongs_in() {
        // written above its table's header
        let m = msg("files = [\"/var/log/mail.log\"]\n[mail_log]\n");
        assert!(
            m.starts_with("c.toml:1:1: unknown key `files`: the keys here are `read_only`,"),
            "{m}"
        );
        assert!(m.ends_with(": files belongs in [mail_log]"), "{m}");
        // under the wrong table, known in more than one
        let m = msg("[mail_log]\ninterval_secs = 5\n");
        assert!(
            m.ends_with(": interval_secs belongs in [queue] or [probe]"),
            "{m}"
        );
        let m = msg("[queue]\nread_only = true\n");
        assert!(
            m.ends_with(": read_only belongs in the top level (above the first [table])"),
            "{m}"
        );
        let m = msg("[check]\npath = \"/var/www\"\n");
        assert!(m.ends_with(": path belongs in [[deploy]]"), "{m}");
        // a typo is known nowhere: the message stays as it was
        let m = msg("[queue]\ninterval = 5\n");
        assert!(m.ends_with("`body_max_bytes`"), "{m}");
    }

    #[test]
    fn syntax_error_is_reported() {
        let err = Config::parse("theme = \n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().starts_with("c.toml:1:"), "{err}");
    }

    #[test]
    fn color_modes_parse() {
        let c = Config::parse("color = \"256\"\n", Path::new("c")).unwrap();
        assert_eq!(c.color, Some(ColorMode::Ansi256));
    }

    #[test]
    fn lookup_order() {
        let env = |k: &str| match k {
            "XDG_CONFIG_HOME" => Some(PathBuf::from("/x")),
            "HOME" => Some(PathBuf::from("/home/u")),
            _ => None,
        };
        // explicit file wins, even if missing
        assert_eq!(
            locate(Some(Path::new("/a.toml")), env, |_| false),
            Some(PathBuf::from("/a.toml"))
        );
        // env var next
        let env2 = |k: &str| (k == "OPSDECK_CONFIG").then(|| PathBuf::from("/e.toml"));
        assert_eq!(
            locate(None, env2, |_| false),
            Some(PathBuf::from("/e.toml"))
        );
        // XDG if it exists
        assert_eq!(
            locate(None, env, |p| p == Path::new("/x/opsdeck/config.toml")),
            Some(PathBuf::from("/x/opsdeck/config.toml"))
        );
        // then /etc
        assert_eq!(
            locate(None, env, |p| p == Path::new("/etc/opsdeck/config.toml")),
            Some(PathBuf::from("/etc/opsdeck/config.toml"))
        );
        // then built-in
        assert_eq!(locate(None, env, |_| false), None);
    }

    #[test]
    fn line_col_counts_chars() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn two_instances_of_one_name_are_refused() {
        let text = "[[postfix]]\nname = \"out\"\n\n[[postfix]]\nname = \"in\"\n\n\
                    [[postfix]]\nname = \"out\"\nconfig_dir = \"/etc/postfix-out\"\n";
        let m = msg(text);
        assert!(m.starts_with("c.toml:8:8: "), "{m}");
        assert!(
            m.contains("name \"out\" is given to two instances (the first at line 2)"),
            "{m}"
        );
        assert!(m.contains("give each instance its own name"), "{m}");
        // two left at the default name
        let m = self::msg("[[postfix]]\n[[postfix]]\n");
        assert!(m.starts_with("c.toml:"), "{m}");
        assert!(m.contains("name \"default\" is given to two"), "{m}");
        Config::parse(
            "[[postfix]]\nname = \"a\"\n[[postfix]]\nname = \"b\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    #[test]
    fn two_targets_of_one_name_are_refused() {
        let text = "[[deploy]]\nname = \"www\"\npath = \"/srv/www\"\n\n\
                    [[deploy]]\nname = \"www\"\npath = \"/srv/www2\"\n";
        let m = msg(text);
        assert_eq!(
            m,
            "c.toml:6:8: [[deploy]] name \"www\" is given to two deploy targets (the first at \
             line 2): give each its own name (it labels the target's findings and metrics, and \
             node_exporter refuses a file with the same series twice)"
        );
        // two left at the default name
        let m = msg("[[deploy]]\npath = \"/srv/a\"\n[[deploy]]\npath = \"/srv/b\"\n");
        assert!(m.starts_with("c.toml:"), "{m}");
        assert!(m.contains("is given to two deploy targets"), "{m}");
        let text = "[[probe.targets]]\nname = \"a\"\nurl = \"https://a.example/\"\n\
                    [[probe.targets]]\nname = \"a\"\nurl = \"https://b.example/\"\n";
        let m = msg(text);
        assert!(
            m.starts_with(
                "c.toml:5:8: [[probe.targets]] name \"a\" is given to two probe targets (the \
                 first at line 2)"
            ),
            "{m}"
        );
        Config::parse(
            "[[deploy]]\nname = \"a\"\npath = \"/srv/a\"\n[[deploy]]\nname = \"b\"\n\
             path = \"/srv/b\"\n[[probe.targets]]\nname = \"a\"\nurl = \"https://a/\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    #[test]
    fn a_warning_threshold_past_its_critical_one_is_refused() {
        let msg = Config::parse(
            "[check]\nqueue_warn = 600\nqueue_crit = 500\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            msg,
            "c.toml:2:14: [check] queue_warn = 600 is above queue_crit = 500: WARNING must \
             come before CRITICAL: lower queue_warn or raise queue_crit"
        );
        // against a default: the setting written is named
        let msg = Config::parse("[check]\nfailures_crit = 0\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("c.toml:2:17: [check] failures_warn = 1 is above failures_crit = 0"),
            "{msg}"
        );
        let msg = Config::parse("[check]\noldest_warn_secs = 86400\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("c.toml:2:20: [check] oldest_warn_secs = 86400 is above"),
            "{msg}"
        );
        // days left: the warning comes at more days
        let msg = Config::parse("[check]\ncert_warn_days = 5\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("c.toml:2:18: [check] cert_warn_days = 5 is below cert_crit_days = 7"),
            "{msg}"
        );
        // a threshold of 0 is reached by an empty queue: the check could never say OK
        for (text, want) in [
            (
                "[check]\nqueue_warn = 0\nqueue_crit = 0\n",
                "c.toml:2:14: [check] queue_warn = 0 is always reached: every check would say \
                 WARNING, even with nothing to report: give at least 1",
            ),
            (
                "[check]\noldest_warn_secs = 0\n",
                "c.toml:2:20: [check] oldest_warn_secs = 0 is always reached",
            ),
            (
                "[check]\nfailures_warn = 0\n",
                "c.toml:2:17: [check] failures_warn = 0 is always reached",
            ),
            (
                "[check]\noldest_warn_secs = 0\noldest_crit_secs = 0\n",
                "c.toml:2:20: [check] oldest_warn_secs = 0 is always reached",
            ),
        ] {
            let msg = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(msg.starts_with(want), "{text}\n{msg}");
        }
        // equal is allowed (no WARNING step), as is any order that makes sense
        Config::parse(
            "[check]\nqueue_warn = 10\nqueue_crit = 10\ncert_warn_days = 30\ncert_crit_days = 30\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    #[test]
    fn a_time_past_what_a_clock_can_hold_is_refused() {
        // each overflowed the clock arithmetic it feeds: `opsdeck check`'s window start, the
        // backfill's cutoff, the test mail trace's deadline, the echo listener's header deadline
        let cases = [
            (
                "[check]\nfailure_window_secs = 10000000000000\n",
                "c.toml:2:23: [check] failure_window_secs = 10000000000000 is more than a hundred years",
            ),
            (
                "[mail_log]\nbackfill_hours = 3000000000\n",
                "c.toml:2:18: [mail_log] backfill_hours = 3000000000 is more than a hundred years",
            ),
            (
                "[senders]\ntrace_timeout_secs = 18446744073709551615\n",
                "c.toml:2:22: [senders] trace_timeout_secs = 18446744073709551615 is more than",
            ),
            (
                "[probe.echo]\nheader_timeout_secs = 18446744073709551615\n",
                "c.toml:2:23: [probe.echo] header_timeout_secs = 18446744073709551615 is more",
            ),
        ];
        for (text, want) in cases {
            let msg = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(msg.starts_with(want), "{msg}");
        }
        // a century is still a time
        Config::parse(
            "[check]\nfailure_window_secs = 3155760000\n[mail_log]\nbackfill_hours = 876600\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    #[test]
    fn a_time_or_size_of_0_is_refused_where_written() {
        let cases = [
            (
                "[queue]\ninterval_secs = 0\n",
                "c.toml:2:17: [queue] interval_secs = 0: it would be read every second (0 is \
                 not \"never\"): give a number of at least 1",
            ),
            (
                "[senders]\nses_refresh_secs = 0\n",
                "c.toml:2:20: [senders] ses_refresh_secs = 0: SES would be asked every second",
            ),
            (
                "[senders]\nrefresh_secs = 0\n",
                "c.toml:2:16: [senders] refresh_secs = 0: it would be read every second",
            ),
            (
                "[senders]\ntrace_timeout_secs = 0\n",
                "c.toml:2:22: [senders] trace_timeout_secs = 0: a test mail's trace",
            ),
            (
                "[senders]\nroute_backups = 0\n",
                "c.toml:2:17: [senders] route_backups = 0: an edit of a route map would keep no \
                 backup, not even its own (0 is not \"keep them all\"): give a number of at \
                 least 1",
            ),
            (
                "[mail_log]\nmax_line_bytes = 0\n",
                "c.toml:2:18: [mail_log] max_line_bytes = 0: every log line would be cut",
            ),
            (
                "[check]\ndeadline_secs = 0\n",
                "c.toml:2:17: [check] deadline_secs = 0: it would be taken as 1 second",
            ),
            (
                "[check]\nfailure_window_secs = 0\n",
                "c.toml:2:23: [check] failure_window_secs = 0: it would be taken as 1 second",
            ),
            (
                "[[deploy]]\nname = \"a\"\npath = \"/var/www/a\"\n[[deploy]]\nname = \"b\"\n\
                 path = \"/var/www/b\"\nhook_timeout_secs = 0\n",
                "c.toml:7:21: [[deploy]] hook_timeout_secs = 0: the post-deploy hook would be \
                 killed after 1 second",
            ),
        ];
        for (text, want) in cases {
            let msg = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(msg.starts_with(want), "{text}\n{msg}");
        }
        // the probe's 0 means "only when asked", as the example says
        Config::parse("[probe]\ninterval_secs = 0\n", Path::new("c.toml")).unwrap();
    }

    #[test]
    fn settings_that_parse_but_cannot_work_are_refused_where_written() {
        let cases = [
            (
                "[mail_log]\nfiles = [\"~/mail.log\"]\n",
                "c.toml:2:9: [mail_log] files = \"~/mail.log\": a ~ is not expanded here (no \
                 shell reads this file): write the full path",
            ),
            (
                "[mail_log]\nfiles = \"mail.log\"\n",
                "c.toml:2:9: [mail_log] files = \"mail.log\": a relative path would be read \
                 from whatever directory opsdeck is started in: write the full path",
            ),
            (
                "log_file = \"~/o.log\"\n",
                "c.toml:1:12: log_file = \"~/o.log\": a ~",
            ),
            (
                "[[postfix]]\nname = \"a\"\n[[postfix]]\nname = \"b\"\nconfig_dir = \"etc/postfix\"\n",
                "c.toml:5:14: [[postfix]] config_dir = \"etc/postfix\": a relative path",
            ),
            (
                "[senders]\nmail_log = \"~/mail.log\"\n",
                "c.toml:2:12: [senders] mail_log = \"~/mail.log\": a ~",
            ),
            (
                "[[deploy]]\nname = \"a\"\npath = \"/var/www/a\"\n[[deploy]]\nname = \"b\"\n\
                 path = \"/var/www/b\"\nssh_key = \"~/.ssh/id\"\n",
                "c.toml:7:11: [[deploy]] ssh_key = \"~/.ssh/id\": a ~",
            ),
            (
                "[[deploy]]\npath = \"www\"\n",
                "c.toml:2:8: [[deploy]] path = \"www\": a relative path",
            ),
            (
                "[[probe.targets]]\nname = \"w\"\nurl = \"https://w/\"\nca_file = \"ca.pem\"\n",
                "c.toml:4:11: [[probe.targets]] ca_file = \"ca.pem\": a relative path",
            ),
            (
                "[[probe.targets]]\nname = \"w\"\nurl = \"www.example.com/\"\n",
                "c.toml:3:7: [[probe.targets]] url = \"www.example.com/\": it has no scheme: \
                 write \"https://www.example.com/\" (or http://)",
            ),
            (
                "[[probe.targets]]\nname = \"w\"\nurl = \"https://w/\"\necho_url = \"ftp://w/\"\n",
                "c.toml:4:12: [[probe.targets]] echo_url = \"ftp://w/\": scheme must be http \
                 or https",
            ),
            (
                "[senders]\nses_endpoint = \"ftp://proxy:hunter2@127.0.0.1:5000\"\n",
                "c.toml:2:16: [senders] ses_endpoint = \"ftp://***@127.0.0.1:5000\": scheme must be \
                 http or https",
            ),
            (
                "[senders]\nses_endpoint = \"127.0.0.1:5000\"\n",
                "c.toml:2:16: [senders] ses_endpoint = \"127.0.0.1:5000\": it has no scheme",
            ),
            (
                "[senders]\nses_region = \"us-east1\"\n",
                "c.toml:2:14: [senders] ses_region: \"us-east1\" is not an AWS region name: \
                 write it as AWS does, such as \"us-east-1\" or \"eu-west-1\"",
            ),
            (
                "[senders]\nses_regions = [\"eu-west-1\", \"EU-WEST-2\"]\n",
                "c.toml:2:15: [senders] ses_regions: \"EU-WEST-2\" is not an AWS region name",
            ),
            (
                "[[postfix]]\nname = \"out\"\n[senders]\ninstance = \"default\"\n",
                "c.toml:4:12: [senders] instance = \"default\" names no [[postfix]] instance: \
                 the instances are \"out\"",
            ),
        ];
        for (text, want) in cases {
            let msg = Config::parse(text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(msg.starts_with(want), "{text}\n{msg}");
        }
        // what is right loads
        Config::parse(
            "log_file = \"/var/log/opsdeck.log\"\n\
             [senders]\nses_regions = [\"us-gov-west-1\", \"ap-southeast-2\"]\n\
             ses_endpoint = \"http://127.0.0.1:5000\"\ninstance = \"default\"\n\
             [[deploy]]\npath = \"/var/www/site\"\n\
             [[probe.targets]]\nname = \"w\"\nurl = \"https://[::1]:8443/x?y\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    /// A URL or a path written where a deploy target names a remote of its checkout is refused
    /// where it is written, with what to write instead; a token in the URL is not repeated.
    #[test]
    fn a_deploy_remote_is_a_name_not_a_url() {
        let table = |remote: &str| {
            format!(
                "[[deploy]]\nname = \"a\"\npath = \"/var/www/a\"\n\n[[deploy]]\nname = \"b\"\n\
                 path = \"/var/www/b\"\nremote = {remote:?}\n"
            )
        };
        let cases = [
            (
                "https://git.example.com/site.git",
                "c.toml:8:10: [[deploy]] remote = \"https://git.example.com/site.git\": a URL, \
                 where the name of a remote of the checkout belongs: write its name, such as \
                 \"origin\" (git -C /var/www/b remote -v lists them), or add a remote for it: \
                 git -C /var/www/b remote add origin https://git.example.com/site.git",
            ),
            (
                "git@git.example.com:site.git",
                "c.toml:8:10: [[deploy]] remote = \"git@git.example.com:site.git\": a URL, \
                 where the name of a remote of the checkout belongs: write its name, such as \
                 \"origin\" (git -C /var/www/b remote -v lists them), or add a remote for it: \
                 git -C /var/www/b remote add origin git@git.example.com:site.git",
            ),
            (
                "https://deploy:glpat-secret@git.example.com/site.git",
                "c.toml:8:10: [[deploy]] remote = \"https://***@git.example.com/site.git\": a URL,",
            ),
            (
                "/srv/git/site.git",
                "c.toml:8:10: [[deploy]] remote = \"/srv/git/site.git\": a path, where the name \
                 of a remote of the checkout belongs",
            ),
            (
                "origin:main",
                "c.toml:8:10: [[deploy]] remote = \"origin:main\": not a name git allows (a \
                 remote's name has no ':'), where the name of a remote of the checkout belongs: \
                 write its name, such as \"origin\" (git -C /var/www/b remote -v lists them), \
                 and the branch apart: branch = \"main\"",
            ),
            (
                "my origin",
                "c.toml:8:10: [[deploy]] remote = \"my origin\": not a name git allows, where \
                 the name of a remote of the checkout belongs: write its name, such as \
                 \"origin\" (git -C /var/www/b remote -v lists them)",
            ),
        ];
        for (remote, want) in cases {
            let msg = msg(&table(remote));
            assert!(msg.starts_with(want), "{remote}\n{msg}");
            assert!(!msg.contains("glpat-secret"), "{msg}");
        }
        assert!(msg(&table("my origin")).ends_with("lists them)"));
        assert!(msg(&table("origin:main")).ends_with("branch = \"main\""));
        // the commands it names are ones a shell reads back as written
        let spaced = "[[deploy]]\nname = \"a\"\npath = \"/var/www/my site\"\n\
                      remote = \"ssh://git.example.com/site's.git\"\n";
        assert!(
            msg(spaced).ends_with(
                "(git -C '/var/www/my site' remote -v lists them), or add a remote for it: \
                 git -C '/var/www/my site' remote add origin 'ssh://git.example.com/site'\\''s.git'"
            ),
            "{}",
            msg(spaced)
        );
        // a remote's name loads, whatever it is called
        for name in ["origin", "upstream", "github", "deploy/prod", "site.git"] {
            let c = Config::parse(&table(name), Path::new("c.toml")).unwrap();
            assert_eq!(c.deploy[1].remote, name);
        }
    }

    #[test]
    fn journal_directory_must_be_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("remote");
        std::fs::create_dir(&journal).unwrap();
        let text = format!(
            "[mail_log]\njournal_directory = \"{}\"\n",
            journal.display()
        );
        let config = Config::parse(&text, Path::new("c.toml")).unwrap();
        assert_eq!(config.mail_log.journal_directory, Some(journal.clone()));
        // one not there yet is journalctl's to say when it runs (and it is run again)
        let later = format!(
            "[mail_log]\njournal_directory = \"{}\"\n",
            dir.path().join("later").display()
        );
        Config::parse(&later, Path::new("c.toml")).unwrap();

        let file = journal.join("remote.journal");
        std::fs::write(&file, "").unwrap();
        let cases = [
            (
                file.display().to_string(),
                "it is not a directory: name the directory that holds the journal files",
            ),
            (
                "journal".to_string(),
                "a relative path would be read from whatever directory opsdeck is started in",
            ),
        ];
        for (value, why) in cases {
            let text =
                format!("[mail_log]\nsource = \"journal\"\njournal_directory = \"{value}\"\n");
            let msg = Config::parse(&text, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            let want = format!("c.toml:3:21: [mail_log] journal_directory = {value:?}: {why}");
            assert!(msg.starts_with(&want), "{msg}");
        }
    }

    #[test]
    fn no_log_file_is_refused() {
        let msg = Config::parse("[mail_log]\nfiles = []\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with("c.toml:2:9: [mail_log] files = [] names no log"),
            "{msg}"
        );
        assert!(msg.contains("set source = \"journal\""), "{msg}");
        // the journal source reads no files
        Config::parse(
            "[mail_log]\nsource = \"journal\"\nfiles = []\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    const EXAMPLE: &str = include_str!("../opsdeck.example.toml");

    /// The example with its commented-out settings and tables turned on (`# key = value`,
    /// `# [table]`): every key it documents, examples included.
    fn example_with_every_key() -> String {
        let is_key = |l: &str| {
            let name = l.split(" = ").next().unwrap_or("");
            l.contains(" = ")
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        };
        EXAMPLE
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.starts_with('[') && rest.ends_with(']') => rest,
                Some(rest) if is_key(rest) => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn example_config_parses() {
        Config::parse(EXAMPLE, Path::new("opsdeck.example.toml")).unwrap();
        // its commented-out examples are valid settings too
        Config::parse(&example_with_every_key(), Path::new("opsdeck.example.toml")).unwrap();
    }

    #[test]
    fn the_example_sets_every_key_to_its_default() {
        let example = Config::parse(EXAMPLE, Path::new("opsdeck.example.toml")).unwrap();
        let mut defaults = Config {
            origin: example.origin.clone(),
            ..Config::default()
        };
        // written out, these name what leaving them unset does
        defaults.theme = Some("default".into());
        defaults.color = Some(ColorMode::Auto);
        assert_eq!(example, defaults);
    }

    #[test]
    fn the_example_documents_every_key() {
        let doc: toml::Table = toml::from_str(&example_with_every_key()).unwrap();
        let tables = tables();
        for (path, keys) in &tables {
            assert!(
                !keys.is_empty(),
                "[{path}] has no keys: is it read by a struct?"
            );
        }
        // the keys the example writes in each table (a repeated table's, all together)
        fn walk(
            path: &str,
            table: &toml::Table,
            out: &mut std::collections::BTreeMap<String, Vec<String>>,
        ) {
            out.entry(path.to_string()).or_default();
            for (key, value) in table {
                out.entry(path.to_string()).or_default().push(key.clone());
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match value {
                    toml::Value::Table(t) => walk(&inner, t, out),
                    toml::Value::Array(a) => {
                        for t in a.iter().filter_map(toml::Value::as_table) {
                            walk(&inner, t, out);
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut written = std::collections::BTreeMap::new();
        walk("", &doc, &mut written);
        for (path, keys) in &tables {
            let Some(have) = written.get(*path) else {
                panic!("opsdeck.example.toml has no [{path}] table");
            };
            for key in keys {
                assert!(
                    have.iter().any(|k| k == key),
                    "opsdeck.example.toml does not document `{key}` of [{path}]"
                );
            }
        }
        // and a table the example writes is one this test knows the type of
        for path in written.keys() {
            assert!(
                tables.iter().any(|(p, _)| p == path),
                "[{path}] in opsdeck.example.toml: add its type to this test"
            );
        }
    }
}
