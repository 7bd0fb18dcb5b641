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
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
            ConfigError::Parse {
                path: path.to_path_buf(),
                line,
                col,
                message: e.message().trim().to_string(),
            }
        })?;
        cfg.origin = Origin::File(path.to_path_buf());
        Ok(cfg)
    }

    /// Read and parse a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Find and load the configuration in the documented order.
    pub fn discover(cli: Option<&Path>) -> Result<Config, ConfigError> {
        match locate(
            cli,
            |k| std::env::var_os(k).map(PathBuf::from),
            |p| p.is_file(),
        ) {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }
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
    fn example_config_parses() {
        let text = include_str!("../opsdeck.example.toml");
        Config::parse(text, Path::new("opsdeck.example.toml")).unwrap();
    }
}
