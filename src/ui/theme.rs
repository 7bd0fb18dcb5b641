//! Themes: semantic roles mapped to styles. (Loading from files: see below.)

use ratatui::style::{Color, Modifier, Style};

/// Styles by meaning. Panes draw with these roles, never with raw colours.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub title: Style,
    pub title_focus: Style,
    pub border: Style,
    pub border_focus: Style,
    pub selection: Style,
    pub header: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub readonly_badge: Style,
    pub readwrite_badge: Style,
    pub demo_badge: Style,
    pub status_bar: Style,
}

impl Theme {
    /// The built-in default: 16 ANSI colours, following the terminal palette.
    pub fn fallback() -> Theme {
        Theme {
            name: "default".into(),
            text: Style::default(),
            muted: Style::default().fg(Color::DarkGray),
            title: Style::default().add_modifier(Modifier::BOLD),
            title_focus: Style::default().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: Style::default().fg(Color::DarkGray),
            border_focus: Style::default().fg(Color::Cyan),
            selection: Style::default().add_modifier(Modifier::REVERSED),
            header: Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            accent: Style::default().fg(Color::Cyan),
            ok: Style::default().fg(Color::Green),
            warn: Style::default().fg(Color::Yellow),
            error: Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            readonly_badge: Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            readwrite_badge: Style::default()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
            demo_badge: Style::default()
                .fg(Color::Black)
                .bg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            status_bar: Style::default().add_modifier(Modifier::REVERSED),
        }
    }
}

impl Default for Theme {
    fn default() -> Theme {
        Theme::fallback()
    }
}
