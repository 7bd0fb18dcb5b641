//! Themes: semantic roles mapped to styles, loaded from TOML.
//!
//! Built-in themes (`themes/*.toml`) are compiled in; user themes are read
//! from `$XDG_CONFIG_HOME/opsdeck/themes/NAME.toml`. A theme has a
//! `[palette]` of named colours, `[roles]` mapping each role to
//! `{ fg, bg, modifiers }`, and may `inherits` another theme. Colours are
//! ANSI names, `#rrggbb`, an index 0-255 or a palette name; they are degraded
//! to what the terminal supports. A broken theme names its file and key.
//! Nothing here draws; panes only ever use the roles.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::config::ColorMode;

macro_rules! roles {
    ($($role:ident),* $(,)?) => {
        /// Styles by meaning. Panes draw with these roles, never with raw colours.
        #[derive(Clone, Debug, PartialEq)]
        pub struct Theme {
            pub name: String,
            $(pub $role: Style,)*
        }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RolesSpec {
            $(#[serde(default)] $role: Option<StyleSpec>,)*
        }

        impl RolesSpec {
            fn entries(&self) -> Vec<(&'static str, &Option<StyleSpec>)> {
                vec![$((stringify!($role), &self.$role),)*]
            }
        }

        impl Theme {
            fn blank(name: &str) -> Theme {
                Theme { name: name.to_string(), $($role: Style::default(),)* }
            }

            fn set(&mut self, role: &str, style: Style) {
                match role {
                    $(stringify!($role) => self.$role = style,)*
                    _ => {}
                }
            }

            fn styles_mut(&mut self) -> Vec<&mut Style> {
                vec![$(&mut self.$role,)*]
            }
        }
    };
}

roles!(
    text,
    muted,
    title,
    title_focus,
    border,
    border_focus,
    selection,
    header,
    accent,
    ok,
    warn,
    error,
    readonly_badge,
    readwrite_badge,
    demo_badge,
    status_bar,
);

const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Names of the themes compiled into the binary.
pub fn built_in_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    roles: RolesSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    #[serde(default)]
    fg: Option<String>,
    #[serde(default)]
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

/// A theme that could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ThemeError {
    #[error(
        "theme {name:?} not found: it is not built in (default, light, high-contrast, mono){}",
        looked.as_ref().map(|p| format!(" and there is no {}", p.display())).unwrap_or_default()
    )]
    NotFound {
        name: String,
        /// The user theme file looked for.
        looked: Option<PathBuf>,
    },
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}:{line}:{col}: {message}")]
    Parse {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("theme {0:?} inherits itself")]
    Cycle(String),
}

/// Where to look for theme files besides the built-in ones.
#[derive(Clone, Debug, Default)]
pub struct ThemeSource {
    pub user_dir: Option<PathBuf>,
}

impl ThemeSource {
    fn read(&self, name: &str) -> Result<(String, String), ThemeError> {
        let looked = self
            .user_dir
            .as_ref()
            .map(|d| d.join(format!("{name}.toml")));
        if let Some(p) = &looked {
            // a plain file only: a FIFO there would hold the start, waiting for a writer
            let read = crate::plainfile::open(p).and_then(|mut f| {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut f, &mut text).map(|_| text)
            });
            match read {
                Ok(text) => return Ok((p.display().to_string(), text)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ThemeError::Invalid {
                        file: p.display().to_string(),
                        message: format!("cannot be read: {e}"),
                    });
                }
            }
        }
        BUILT_IN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, t)| (format!("themes/{n}.toml"), t.to_string()))
            .ok_or_else(|| ThemeError::NotFound {
                name: name.to_string(),
                looked,
            })
    }

    /// Load a theme by name, following `inherits`.
    pub fn load(&self, name: &str) -> Result<Theme, ThemeError> {
        self.load_chain(name, &mut Vec::new())
    }

    fn load_chain(&self, name: &str, seen: &mut Vec<String>) -> Result<Theme, ThemeError> {
        if seen.iter().any(|s| s == name) {
            return Err(ThemeError::Cycle(name.to_string()));
        }
        seen.push(name.to_string());
        let (file, text) = self.read(name)?;
        parse_theme(&file, &text, |parent| self.load_chain(parent, seen))
    }
}

/// Parse one theme document; `parent` loads an inherited theme.
fn parse_theme(
    file: &str,
    text: &str,
    parent: impl FnOnce(&str) -> Result<Theme, ThemeError>,
) -> Result<Theme, ThemeError> {
    let tf: ThemeFile = toml::from_str(text).map_err(|e| {
        let (line, col) = e
            .span()
            .map(|s| crate::config::line_col(text, s.start))
            .unwrap_or((1, 1));
        ThemeError::Parse {
            file: file.to_string(),
            line,
            col,
            message: e.message().trim().to_string(),
        }
    })?;
    let stem = Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = tf.name.clone().unwrap_or(stem);
    let mut theme = match &tf.inherits {
        Some(p) => {
            let mut t = parent(p)?;
            t.name = name.clone();
            t
        }
        None => Theme::blank(&name),
    };
    let invalid = |message: String| ThemeError::Invalid {
        file: file.to_string(),
        message,
    };
    for (key, value) in &tf.palette {
        parse_color(value, &BTreeMap::new()).map_err(|m| invalid(format!("palette.{key}: {m}")))?;
    }
    for (role, spec) in tf.roles.entries() {
        let Some(spec) = spec else { continue };
        let mut style = Style::default();
        if let Some(fg) = &spec.fg {
            style = style.fg(parse_color(fg, &tf.palette)
                .map_err(|m| invalid(format!("roles.{role}.fg: {m}")))?);
        }
        if let Some(bg) = &spec.bg {
            style = style.bg(parse_color(bg, &tf.palette)
                .map_err(|m| invalid(format!("roles.{role}.bg: {m}")))?);
        }
        for m in &spec.modifiers {
            style = style.add_modifier(
                parse_modifier(m).map_err(|e| invalid(format!("roles.{role}.modifiers: {e}")))?,
            );
        }
        theme.set(role, style);
    }
    Ok(theme)
}

fn parse_modifier(s: &str) -> Result<Modifier, String> {
    Ok(match s {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        other => {
            return Err(format!(
                "unknown modifier {other:?} (bold, dim, italic, underlined, reversed, crossed_out)"
            ));
        }
    })
}

/// Parse a colour: ANSI name, `#rrggbb`, 0-255, `reset`, or a palette name.
pub fn parse_color(s: &str, palette: &BTreeMap<String, String>) -> Result<Color, String> {
    let s = s.trim();
    if let Some(v) = palette.get(s) {
        return parse_color(v, &BTreeMap::new());
    }
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let v = u32::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("bad hex colour {s:?} (want #rrggbb)"));
    }
    if let Ok(n) = s.parse::<u8>() {
        return Ok(Color::Indexed(n));
    }
    Ok(match s {
        "reset" | "default" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark_gray" | "dark_grey" => Color::DarkGray,
        "light_red" => Color::LightRed,
        "light_green" => Color::LightGreen,
        "light_yellow" => Color::LightYellow,
        "light_blue" => Color::LightBlue,
        "light_magenta" => Color::LightMagenta,
        "light_cyan" => Color::LightCyan,
        "white" => Color::White,
        other => return Err(format!("unknown colour {other:?}")),
    })
}

/// What the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorDepth {
    TrueColor,
    Ansi256,
    Ansi16,
    None,
}

/// Decide the colour depth from `--color`/config and the environment.
/// `NO_COLOR` (set and non-empty) means none unless colour was asked for explicitly.
pub fn color_depth(mode: ColorMode, env: impl Fn(&str) -> Option<String>) -> ColorDepth {
    match mode {
        ColorMode::Truecolor => ColorDepth::TrueColor,
        ColorMode::Ansi256 => ColorDepth::Ansi256,
        ColorMode::Ansi16 => ColorDepth::Ansi16,
        ColorMode::None => ColorDepth::None,
        ColorMode::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return ColorDepth::None;
            }
            let colorterm = env("COLORTERM").unwrap_or_default();
            if colorterm == "truecolor" || colorterm == "24bit" {
                return ColorDepth::TrueColor;
            }
            let term = env("TERM").unwrap_or_default();
            if term.contains("256color") || term.contains("direct") {
                ColorDepth::Ansi256
            } else if term == "dumb" {
                ColorDepth::None
            } else {
                ColorDepth::Ansi16
            }
        }
    }
}

impl Theme {
    /// The built-in default, which cannot fail.
    pub fn fallback() -> Theme {
        ThemeSource::default()
            .load("default")
            .unwrap_or_else(|e| panic!("built-in default theme must load: {e}"))
    }

    /// The built-in mono theme.
    pub fn mono() -> Theme {
        ThemeSource::default()
            .load("mono")
            .unwrap_or_else(|e| panic!("built-in mono theme must load: {e}"))
    }

    /// Degrade every colour to what the terminal shows.
    pub fn degrade(mut self, depth: ColorDepth) -> Theme {
        if depth == ColorDepth::TrueColor {
            return self;
        }
        for st in self.styles_mut() {
            st.fg = st.fg.map(|c| degrade_color(c, depth));
            st.bg = st.bg.map(|c| degrade_color(c, depth));
        }
        self
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::fallback()
    }
}

/// Map a colour to the nearest one the terminal can show.
pub fn degrade_color(c: Color, depth: ColorDepth) -> Color {
    match (c, depth) {
        (Color::Rgb(r, g, b), ColorDepth::Ansi256) => Color::Indexed(rgb_to_256(r, g, b)),
        (Color::Rgb(r, g, b), ColorDepth::Ansi16) => rgb_to_16(r, g, b),
        (Color::Indexed(i), ColorDepth::Ansi16) if i >= 16 => {
            let (r, g, b) = index_to_rgb(i);
            rgb_to_16(r, g, b)
        }
        (Color::Indexed(i), ColorDepth::Ansi16) => ANSI16[i as usize].1,
        (_, ColorDepth::None) => Color::Reset,
        (c, _) => c,
    }
}

fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    // grey ramp when the three channels are close
    if r.abs_diff(g) < 10 && g.abs_diff(b) < 10 {
        let avg = (r as u16 + g as u16 + b as u16) / 3;
        if avg < 8 {
            return 16;
        }
        if avg > 238 {
            return 231;
        }
        return 232 + ((avg - 8) / 10).min(23) as u8;
    }
    let q = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    16 + 36 * q(r) + 6 * q(g) + q(b)
}

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    if i >= 232 {
        let v = 8 + (i - 232) * 10;
        return (v, v, v);
    }
    if i >= 16 {
        let i = i - 16;
        let lv = |n: u8| if n == 0 { 0 } else { 55 + n * 40 };
        return (lv(i / 36), lv((i / 6) % 6), lv(i % 6));
    }
    ANSI16[i as usize].0
}

const ANSI16: [((u8, u8, u8), Color); 16] = [
    ((0, 0, 0), Color::Black),
    ((205, 0, 0), Color::Red),
    ((0, 205, 0), Color::Green),
    ((205, 205, 0), Color::Yellow),
    ((0, 0, 238), Color::Blue),
    ((205, 0, 205), Color::Magenta),
    ((0, 205, 205), Color::Cyan),
    ((229, 229, 229), Color::Gray),
    ((127, 127, 127), Color::DarkGray),
    ((255, 0, 0), Color::LightRed),
    ((0, 255, 0), Color::LightGreen),
    ((255, 255, 0), Color::LightYellow),
    ((92, 92, 255), Color::LightBlue),
    ((255, 0, 255), Color::LightMagenta),
    ((0, 255, 255), Color::LightCyan),
    ((255, 255, 255), Color::White),
];

fn rgb_to_16(r: u8, g: u8, b: u8) -> Color {
    ANSI16
        .iter()
        .min_by_key(|((ar, ag, ab), _)| {
            let d = |x: u8, y: u8| (x as i32 - y as i32).pow(2);
            d(r, *ar) + d(g, *ag) + d(b, *ab)
        })
        .map(|(_, c)| *c)
        .unwrap_or(Color::Reset)
}

/// Choose and load the theme for a session: `NO_COLOR` or `--color none`
/// give mono whatever was asked; colours are degraded to the depth.
pub fn select(
    name: Option<&str>,
    depth: ColorDepth,
    source: &ThemeSource,
) -> Result<Theme, ThemeError> {
    if depth == ColorDepth::None {
        return Ok(Theme::mono());
    }
    Ok(source.load(name.unwrap_or("default"))?.degrade(depth))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theme_that_is_nowhere_names_where_it_was_looked_for() {
        let dir = tempfile::tempdir().unwrap();
        let source = ThemeSource {
            user_dir: Some(dir.path().to_path_buf()),
        };
        let msg = select(Some("solarized"), ColorDepth::Ansi16, &source)
            .unwrap_err()
            .to_string();
        assert_eq!(
            msg,
            format!(
                "theme \"solarized\" not found: it is not built in (default, light, \
                 high-contrast, mono) and there is no {}/solarized.toml",
                dir.path().display()
            )
        );
        // a file there that cannot be read is not \"not found\"
        std::fs::create_dir(dir.path().join("odd.toml")).unwrap();
        let msg = select(Some("odd"), ColorDepth::Ansi16, &source)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("odd.toml: cannot be read: "), "{msg}");
        // nor is a FIFO, said at once: opening it waited for a writer, and the start with it
        let fifo = dir.path().join("piped.toml");
        crate::plainfile::testing::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let msg = select(Some("piped"), ColorDepth::Ansi16, &source).map(|_| ());
            tx.send(msg.unwrap_err().to_string())
        });
        let msg = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("a FIFO as a theme holds the start");
        assert!(
            msg.ends_with("piped.toml: cannot be read: is a FIFO (named pipe), not a plain file"),
            "{msg}"
        );
    }

    #[test]
    fn all_built_in_themes_load() {
        for name in built_in_names() {
            let t = ThemeSource::default().load(name).unwrap();
            assert_eq!(t.name, name);
        }
    }

    #[test]
    fn selection_visible_without_colour() {
        for name in built_in_names() {
            let t = ThemeSource::default().load(name).unwrap();
            let t = t.degrade(ColorDepth::None);
            assert!(
                t.selection.add_modifier.contains(Modifier::REVERSED),
                "{name}: selection must be reversed"
            );
            assert!(
                !t.border_focus.add_modifier.is_empty() || !t.title_focus.add_modifier.is_empty(),
                "{name}: focus must carry a modifier"
            );
        }
    }

    #[test]
    fn a_selection_with_colours_of_its_own_stands_out_from_the_text() {
        // high-contrast set black on white and reversed it: white on black, which is what its
        // white text looks like on the dark terminal it is made for, so the selected row and
        // the focused tab could not be told from the others
        for name in built_in_names() {
            let t = ThemeSource::default().load(name).unwrap();
            let sel = t.selection;
            if sel.fg.is_none() && sel.bg.is_none() {
                continue; // the text's own colours reversed: always stands out
            }
            let (mut fg, mut bg) = (
                sel.fg.unwrap_or(Color::Reset),
                sel.bg.unwrap_or(Color::Reset),
            );
            if sel.add_modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
            }
            let text_fg = t.text.fg.unwrap_or(Color::Reset);
            let text_bg = t.text.bg.unwrap_or(Color::Reset);
            assert_ne!(
                fg, text_fg,
                "{name}: the selection is written in the text's colour"
            );
            let dark = |c: Color| matches!(c, Color::Reset | Color::Black);
            assert!(
                !(dark(bg) && dark(text_bg)),
                "{name}: the selection's background is the text's ({bg:?})"
            );
        }
    }

    #[test]
    fn default_uses_only_16_colours() {
        let t = Theme::fallback();
        for st in t.clone().styles_mut() {
            for c in [st.fg, st.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "default theme uses {c:?}"
                );
            }
        }
    }

    #[test]
    fn inherits_overrides_only_named_roles() {
        let light = ThemeSource::default().load("light").unwrap();
        let def = Theme::fallback();
        assert_eq!(light.selection, def.selection);
        assert_ne!(light.ok, def.ok);
    }

    #[test]
    fn broken_colour_names_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "inherits = \"default\"\n[roles]\nok = { fg = \"gren\" }\n",
        )
        .unwrap();
        let src = ThemeSource {
            user_dir: Some(dir.path().to_path_buf()),
        };
        let err = src.load("bad").unwrap_err().to_string();
        assert!(
            err.contains("bad.toml: roles.ok.fg: unknown colour \"gren\""),
            "{err}"
        );
    }

    #[test]
    fn unknown_role_names_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.toml"), "[roles]\nokay = {}\n").unwrap();
        let src = ThemeSource {
            user_dir: Some(dir.path().to_path_buf()),
        };
        let err = src.load("bad").unwrap_err().to_string();
        assert!(err.contains("bad.toml:2:1:"), "{err}");
        assert!(err.contains("okay"), "{err}");
    }

    #[test]
    fn inherit_cycle_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.toml"), "inherits = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "inherits = \"a\"\n").unwrap();
        let src = ThemeSource {
            user_dir: Some(dir.path().to_path_buf()),
        };
        assert_eq!(src.load("a"), Err(ThemeError::Cycle("a".into())));
    }

    #[test]
    fn no_color_selects_mono() {
        let env = |k: &str| (k == "NO_COLOR").then(|| "1".to_string());
        assert_eq!(color_depth(ColorMode::Auto, env), ColorDepth::None);
        let env_empty = |k: &str| (k == "NO_COLOR").then(String::new);
        assert_ne!(color_depth(ColorMode::Auto, env_empty), ColorDepth::None);
        let t = select(Some("light"), ColorDepth::None, &ThemeSource::default()).unwrap();
        assert_eq!(t.name, "mono");
    }

    #[test]
    fn truecolor_degrades() {
        assert_eq!(
            degrade_color(Color::Rgb(0xa4, 0x0e, 0x26), ColorDepth::Ansi16),
            Color::Red
        );
        assert_eq!(
            degrade_color(Color::Rgb(255, 255, 255), ColorDepth::Ansi256),
            Color::Indexed(231)
        );
        assert_eq!(
            degrade_color(Color::Rgb(0, 0, 0), ColorDepth::Ansi256),
            Color::Indexed(16)
        );
        let env = |k: &str| match k {
            "TERM" => Some("xterm-256color".to_string()),
            _ => None,
        };
        assert_eq!(color_depth(ColorMode::Auto, env), ColorDepth::Ansi256);
        let light = ThemeSource::default()
            .load("light")
            .unwrap()
            .degrade(ColorDepth::Ansi16);
        assert!(!matches!(light.ok.fg, Some(Color::Rgb(..))));
    }
}
